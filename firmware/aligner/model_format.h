/* model_format.h - layout of the exported int8 aligner model.
 * Fixed by firmware/aligner/CONTRACT.md ("Exported model"); change only together with it.
 * Owned by firmware/aligner/, included by the generated firmware/model/export/model_data.{c,h}. */
#ifndef AL_MODEL_FORMAT_H
#define AL_MODEL_FORMAT_H

#include <stdint.h>

typedef struct {
    uint8_t k, dil, relu;
    uint16_t cin, cout;
    const int8_t  *w;      /* [cout][k][cin] */
    const int32_t *bias;   /* [cout] */
    const int32_t *mult;   /* [cout] */
    const int8_t  *shift;  /* [cout] */
} al_layer_t;

typedef struct {
    uint16_t n_mels, n_classes, n_layers, sil_class;
    const al_layer_t *layers;
    const uint16_t *mel_first;    /* [n_mels] first FFT bin of band i */
    const uint16_t *mel_count;    /* [n_mels] number of bins of band i */
    const float    *mel_weights;  /* concatenated weights, band after band */
    const float    *feat_mean;    /* [n_mels] */
    const float    *feat_inv_std; /* [n_mels] */
    float in_scale, out_scale;
    const float    *log_prior;    /* [n_classes] ln prior of each class (from training alignments) */
    float prior_weight;           /* emission = logpost - prior_weight * log_prior */
    const uint8_t  *hmm_states;   /* [n_classes] left-to-right states per phone (>= 1) */
    const float    *hmm_self_logp;/* [n_classes] ln P(stay) per state */
    const float    *hmm_next_logp;/* [n_classes] ln P(advance) per state */
    float frame_offset_s;         /* time of the boundary before frame t = t * 0.010 + frame_offset_s */
    /* running mean normalisation (CONTRACT.md): 0 = off (static feat_mean). Otherwise the mean
     * of band i starts at feat_mean[i] and follows the utterance: at frame n,
     * c = min(cmn_prior + n, cmn_frames), mu += (f - mu) * (1 / (c + 1)), g = (f - mu) * inv_std */
    float cmn_prior;              /* frames the initial feat_mean counts for */
    float cmn_frames;             /* window of the running mean (frames), 0 = off */
    /* speech gate of the running mean (issue 12; CONTRACT.md): 0 = every frame updates. Else
     * E = mean of the frame's log-mel bands, floor = min(E, floor + cmn_rise) (floor starts
     * at +inf), and only frames with E > floor + cmn_gate update mu (and count in n), so long
     * pauses do not pull the mean down to the noise floor. */
    float cmn_gate;               /* nats of mean log-mel above the tracked floor */
    float cmn_rise;               /* nats per frame the floor rises when the level goes up */
    /* level floor of the running mean (CONTRACT.md): 0 = off. Else the first cmn_level_frames
     * frames that update mu also sum the mean of their bands [cmn_level_b0, cmn_level_b1) (the
     * telephone band: an 8 kHz source has them too); at the last of them L = sum / frames, and
     * if L < cmn_level_floor every mu[i] += (L - cmn_level_floor) * r (r: the share of
     * feat_mean left in mu), once: a recording quieter than the training corpus (a MEMS
     * microphone without gain) does not wait for the 100-frame prior to reach its level. */
    uint32_t cmn_level_frames;    /* speech frames that measure the level */
    float cmn_level_floor;        /* nats of mean log-mel (firmware/model/level_floor.py) */
    uint16_t cmn_level_b0, cmn_level_b1;   /* bands of the level (b0 <= i < b1) */
    /* 0 = none. Else, when the first cmn_level_frames updates did not move mu, the level of
     * the first cmn_level_recheck updates (> cmn_level_frames) is checked the same way: a
     * quiet recording that begins loud (a plosive, a shout) is still moved, a little later. */
    uint32_t cmn_level_recheck;
    /* nats above cmn_level_floor to which a recording below it is raised: mu[i] += (L -
     * cmn_level_floor - cmn_level_lift) * r (0: to the floor) */
    float cmn_level_lift;
} al_model_t;

extern const al_model_t al_model;   /* defined in model_data.c */

#endif /* AL_MODEL_FORMAT_H */
