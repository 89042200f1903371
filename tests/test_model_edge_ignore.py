"""train.py --real-edge-ignore / --real-edge-soft: frames next to teacher phone boundaries leave
the loss, or are trained towards a mix of the two phones."""
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
    _, y, m, _, _ = dataset.batch_arrays([real, synth], [0, 1], mean, np.ones_like(mean))
    assert y[0].tolist() == [0, -100, -100, 4, -100, -100, 9]
    assert y[1].tolist() == lab
    assert m.sum() == 2 * len(lab)                  # every frame is still in the network's input


def test_edge_neighbours_names_the_phone_across_each_boundary():
    lab = np.array([0, 0, 4, 4, 4, 9, 9, 3, 0])
    # changes 1|2 (0,4), 4|5 (4,9), 6|7 (9,3), 7|8 (3,0); frame 7 is a one-frame phone
    assert dataset.edge_neighbours(lab).tolist() == [0, 4, 0, 4, 9, 4, 3, 0, 3]
    assert dataset.edge_neighbours(np.full(4, 2)).tolist() == [2, 2, 2, 2]


def test_soft_edges_give_the_frames_next_to_a_boundary_a_share_of_the_other_phone():
    lab = [0, 0, 4, 4, 4, 9, 9]
    feats = np.zeros((len(lab), dataset.F.N_MELS), np.float32)
    real = dataset.Utt(feats, np.array(lab), np.zeros((0, 3)), np.zeros((0, 2)), {},
                       edge_soft=0.3)
    synth = dataset.Utt(feats, np.array(lab), np.zeros((0, 3)), np.zeros((0, 2)), {})
    mean = np.zeros(dataset.F.N_MELS, np.float32)
    _, y, _, y2, w2 = dataset.batch_arrays([real, synth], [0, 1], mean, np.ones_like(mean))
    assert y[0].tolist() == lab                         # the own phone stays the first target
    assert y2[0].tolist() == [0, 4, 0, 4, 9, 4, 9]
    assert np.allclose(w2[0], [0, 0.3, 0.3, 0, 0.3, 0.3, 0])
    assert not w2[1].any()                              # eSpeak NG frames keep hard targets


def test_prepare_gives_soft_edges_to_real_speech_only():
    def utt(voice):
        lab = np.array([0, 0, 4, 4])
        return dataset.Utt(np.zeros((4, dataset.F.N_MELS), np.float32), lab, np.zeros((0, 3)),
                           np.zeros((0, 2)), {"voice": voice})
    utts = [utt("real"), utt("en-us"), utt("real"), utt("en-us")]
    stats = (np.zeros(dataset.F.N_MELS, np.float32), np.ones(dataset.F.N_MELS, np.float32))
    dev, train, _, _ = dataset.prepare(utts, 1, 0.0, 0, 0, None, stats, edge_soft=0.25)
    assert [u.edge_soft for u in train] == [0.0, 0.25, 0.0]
    assert all(u.ignore is None for u in train)
