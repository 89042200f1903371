"""train.py --real-edge-ignore: frames next to teacher phone boundaries leave the loss."""
import numpy as np
import _model_path  # noqa: F401
import dataset


def test_edge_frames_marks_n_frames_each_side_of_every_change():
    lab = np.array([0, 0, 0, 5, 5, 5, 5, 7, 7, 0])
    # changes between frames 2|3, 6|7, 8|9
    assert np.flatnonzero(dataset.edge_frames(lab, 1)).tolist() == [2, 3, 6, 7, 8, 9]
    assert np.flatnonzero(dataset.edge_frames(lab, 2)).tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert not dataset.edge_frames(lab, 0).any()
    assert not dataset.edge_frames(np.full(6, 3), 2).any()      # no boundary, nothing left out
    assert dataset.edge_frames(np.array([1, 2]), 3).all()        # clipped at both ends


def test_a_batch_leaves_out_only_the_ignored_frames_of_their_utterance():
    # train.collate is dataset.batch_arrays wrapped in torch tensors (torch is training-only,
    # not installed in CI); -100 is torch's CrossEntropyLoss ignore_index default.
    def utt(labels, ignore):
        feats = np.zeros((len(labels), dataset.F.N_MELS), np.float32)
        return dataset.Utt(feats, np.array(labels), np.zeros((0, 3)), np.zeros((0, 2)), {},
                           ignore=ignore)
    lab = [0, 0, 4, 4, 4, 9, 9]
    real = utt(lab, dataset.edge_frames(np.array(lab), 1))
    synth = utt(lab, None)
    mean = np.zeros(dataset.F.N_MELS, np.float32)
    _, y, m = dataset.batch_arrays([real, synth], [0, 1], mean, np.ones_like(mean))
    assert y[0].tolist() == [0, -100, -100, 4, -100, -100, 9]
    assert y[1].tolist() == lab
    assert m.sum() == 2 * len(lab)                  # every frame is still in the network's input
