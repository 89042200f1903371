/* al_config.h - compile-time maxima of the aligner library. Every buffer of the library is a
 * static array sized from these; override any of them with -D on the compiler command line.
 * al_init() rejects a model that does not fit (returns a negative AL_E_* code). */
#ifndef AL_CONFIG_H
#define AL_CONFIG_H

/* Transcript (contract "Bounded memory"). Words/phones beyond these are answered NF. */
#ifndef AL_MAX_PHONES
#define AL_MAX_PHONES 8192
#endif
#ifndef AL_MAX_WORDS
#define AL_MAX_WORDS 2048
#endif
/* Total HMM states of the transcript graph, incl. optional silences (state ids are uint16). */
#ifndef AL_MAX_STATES
#define AL_MAX_STATES 65535
#endif

/* Front end */
#define AL_FRAME_LEN   400      /* 25 ms at 16 kHz */
#define AL_FRAME_HOP   160      /* 10 ms */
#define AL_FFT_LEN     512
#define AL_FFT_BINS    257
#ifndef AL_MAX_MELS
#define AL_MAX_MELS 64
#endif
#ifndef AL_MAX_MEL_WEIGHTS
#define AL_MAX_MEL_WEIGHTS 1024 /* only checked, the table itself stays in flash */
#endif

/* Network */
#ifndef AL_NN_MAX_LAYERS
#define AL_NN_MAX_LAYERS 16
#endif
#ifndef AL_NN_MAX_CH
#define AL_NN_MAX_CH 256        /* max cin / cout of any layer */
#endif
#ifndef AL_NN_POOL_BYTES
#define AL_NN_POOL_BYTES 65536  /* all per-layer input rings together */
#endif

/* Viterbi */
#ifndef AL_MAX_CLASSES
#define AL_MAX_CLASSES 128      /* class ids are stored as uint8 */
#endif
#ifndef AL_VIT_BAND
#define AL_VIT_BAND 256         /* W: max active states per frame, power of two */
#endif
#ifndef AL_VIT_LAG
#define AL_VIT_LAG 768          /* back-pointer ring depth in frames; forced commit every LAG/2-1:
                                  * 3.8 s of look-ahead before a decision is forced (256 lost the
                                  * path on real speech: docs/alignment-results.md) */
#endif
/* How far back the search reads the network's outputs (frames): a word stays in the hold queue
 * and a second pass may re-align it while its start is that old at most. Was AL_VIT_LAG + 8 =
 * 776 (7.8 s) until session 23; 1000 (10 s): with 5 s of another speaker between two words
 * (firmware/model/damage_eval.py --insert), the path runs on into that speech and comes back
 * when the reading resumes, and by then the words before it had left the ring and kept the
 * times the path gave them inside the other speech: the 3 words on each side 933 -> 458 ms
 * (README.md "The logit ring: 10 s": a re-anchor behind the path still lets the words older
 * than AL_VIT_LAG + 8 frames go first); clean sets word for word unchanged. +224 frames x
 * n_classes bytes of logits (firmware: 8,960 B of AXI SRAM). */
#ifndef AL_VIT_RING_BACK
#define AL_VIT_RING_BACK 1000u
#endif
#if AL_VIT_RING_BACK < AL_VIT_LAG + 8
#error "AL_VIT_RING_BACK: the search reads the frames since the last commit (AL_VIT_LAG + 8)"
#endif
#ifndef AL_VIT_LOGIT_POOL
#define AL_VIT_LOGIT_POOL (AL_VIT_RING_BACK * 64u) /* int8 logits kept (bytes; >= AL_VIT_RING_BACK
                                  * x n_classes; the app sets (AL_VIT_RING_BACK + 32) x 40) */
#endif
#ifndef AL_VIT_BEAM
#define AL_VIT_BEAM 200.0f      /* default beam (nats) below the best state (50 pruned the right
                                  * path on real speech; the band cap bounds the cost anyway) */
#endif
/* Recovery (issue 12): when the best path explains the frames much worse than the network's
 * own best class (EMA of log posterior ratio below -AL_VIT_FIT_LOST nats) while the network is
 * sure of itself (EMA of the best class's log posterior above -AL_VIT_AUDIO_SURE), for
 * AL_VIT_COLLAPSE_FRAMES frames in a row, the path is lost: it is committed up to there and the
 * band is re-seeded on the next window of the transcript (a forward scan; viterbi.c). */
#ifndef AL_VIT_FIT_LOST
#define AL_VIT_FIT_LOST 3.0f    /* was 4 (session 5); 3 recovers real clips with 4 s of other
                                  * speech (firmware/model/damage_eval.py), 0 re-anchors on the
                                  * clean real-speech sets (docs/alignment-results.md) */
#endif
#ifndef AL_VIT_AUDIO_SURE
#define AL_VIT_AUDIO_SURE 1.0f
#endif
#ifndef AL_VIT_COLLAPSE_FRAMES
#define AL_VIT_COLLAPSE_FRAMES 40
#endif
#ifndef AL_VIT_SCAN_RATE
#define AL_VIT_SCAN_RATE 0.5f   /* states per frame: the scan never runs ahead of this pace */
#endif
/* Locate (viterbi.c locate(), issue 12): while the average fit is below -AL_VIT_LOCATE_FIT
 * with a sure network, every AL_VIT_LOCATE_EVERY frames the last AL_VIT_LOCATE_FRAMES frames are
 * aligned with a free start over the transcript from AL_VIT_LOCATE_BACK states behind the best
 * state to AL_VIT_PASS2_STATES states on. The band is re-anchored at the best end state when it
 * is at least AL_VIT_LOCATE_JUMP states ahead, beats every path ending at the best state by
 * AL_VIT_LOCATE_GAIN nats per frame and is within AL_VIT_LOCATE_DEFICIT nats per frame of the
 * network's own best classes (emissions incl. the prior; transitions cost the rest); a place at
 * least AL_VIT_LOCATE_JUMP states BEHIND the best state with the same margins re-anchors back
 * there (viterbi.c relocate_back: the path had run ahead; words not yet emitted are taken back
 * from the hold queue). Chosen on
 * firmware/model/damage_eval.py (saa_test, maus filler; docs/alignment-results.md): deficit
 * 1.0-1.5 and gain 1.0-1.5 give 49-53 ms outside an 8 s stretch, deficit 2.0 or no deficit
 * test 165-169 ms (relocations inside the other speech), gain 2.0 leaves 19 NF. */
/* Reach from the last confident word (a committed word with confidence >= AL_VIT_ANCHOR_CONF
 * permille): neither a re-anchor window nor a located place may lie further ahead of it than
 * AL_VIT_ANCHOR_RATE states per frame since its end (other speech can look like later words of
 * the transcript: a scan window that reached 25 words ahead during 8 s of another speaker's
 * speech put the rest of a clip 3-8 s off; real read speech runs at ~0.3-0.45 states per frame,
 * the synthetic test posteriors faster: 0.5 cut the words after a stretch there). The cap is
 * applied only when it leaves at least W/8 states of the window. */
#ifndef AL_VIT_ANCHOR_CONF
#define AL_VIT_ANCHOR_CONF 500
#endif
#ifndef AL_VIT_ANCHOR_RATE
#define AL_VIT_ANCHOR_RATE 0.8f
#endif
#ifndef AL_VIT_LOCATE_FRAMES
#define AL_VIT_LOCATE_FRAMES 150u
#endif
#ifndef AL_VIT_LOCATE_EVERY
#define AL_VIT_LOCATE_EVERY 50u
#endif
#ifndef AL_VIT_LOCATE_FIT
#define AL_VIT_LOCATE_FIT 1.5f
#endif
#ifndef AL_VIT_LOCATE_BACK
#define AL_VIT_LOCATE_BACK 128u
#endif
#ifndef AL_VIT_LOCATE_JUMP
#define AL_VIT_LOCATE_JUMP 10u
#endif
#ifndef AL_VIT_LOCATE_GAIN
#define AL_VIT_LOCATE_GAIN 1.5f
#endif
/* A place BEHIND the path that is not behind the last confident word needs only
 * AL_VIT_LOCATE_GAIN_BACK nats per frame (session 9): the path ran ahead after that word (a
 * scan into other speech), and a free-start path ending at the best state can race through
 * the words it skipped, so backward gains read low (1.0: damage_eval.py so_test 8 s V3 40.3 ->
 * 29.8 ms; english12 at maus 8 s came back while its words were still held; clean sets
 * unchanged). Further back, behind a confident word, the full gain (1.0 or 1.2 there took a
 * maus 8 s clip 12 words back into the other speech). */
#ifndef AL_VIT_LOCATE_GAIN_BACK
#define AL_VIT_LOCATE_GAIN_BACK 1.0f
#endif
#ifndef AL_VIT_LOCATE_DEFICIT
#define AL_VIT_LOCATE_DEFICIT 1.25f
#endif
/* When a collapse is about to start a forward scan, locate() first looks BEHIND the path only:
 * the last AL_VIT_COLLAPSE_BACK frames over the AL_VIT_COLLAPSE_BACK_STATES states before the
 * best state, the same margins, at least AL_VIT_COLLAPSE_BACK_JUMP states back (a reading
 * restarted some words back: the path is ahead and a forward scan only makes it worse; tests/
 * test_aligner_c.py restarted readings 6-26 words back all placed again instead of 0-98 %;
 * no change on damage_eval.py or the clean real-speech sets; a 10-state minimum jump
 * re-anchored inside other speech there). Since session 9 before every window of a scan, not
 * only the first (a scan that started inside other speech went on forward while the reading
 * had resumed behind it: test_a_scan_that_ran_ahead_looks_behind_again). Near the end of the
 * transcript, where the periodic locate() has no room ahead, its column reaches up to
 * AL_VIT_COLLAPSE_BACK_STATES back instead of AL_VIT_LOCATE_BACK. 0 turns it off. */
#ifndef AL_VIT_COLLAPSE_BACK
#define AL_VIT_COLLAPSE_BACK 60u
#endif
#ifndef AL_VIT_COLLAPSE_BACK_STATES
#define AL_VIT_COLLAPSE_BACK_STATES 384u
#endif
/* Replay: a reading restarted further back than the words still held (README.md "Recovery:
 * replay", session 10). While the fit is poor, half a period after each periodic locate() the
 * search looks behind the path: the look-behind column (AL_VIT_COLLAPSE_BACK frames, a place
 * there needs AL_VIT_PERIODIC_BACK_GAIN nats per frame), or in turn one of AL_VIT_FAR_CHUNKS
 * columns of AL_VIT_COLLAPSE_BACK_STATES states ending AL_VIT_FAR_STEP, 2x, 3x states further
 * back (against the best free-start path ending at the best state). A place behind that gains
 * AL_VIT_REPLAY_NOTE nats per frame is noted; it is confirmed when the next one, at most
 * AL_VIT_REPLAY_CONFIRM frames later, lies after it at no more than AL_VIT_ANCHOR_RATE states a
 * frame (the next look goes where the noted place would be by then). A confirmed place in
 * words already out with AL_VIT_REPLAY_GAIN nats per frame re-anchors there: the held words
 * are taken back and the path passes the words out again, answering each it places again (an
 * R line, CONTRACT.md; since session 14, before without results). damage_eval.py
 * --restart (docs/alignment-results.md): on the 42 Speech Accent Archive clips restarted 20 / 30
 * / 40 / 50 words back 8 / 29 / 21 / 4 clips over 500 ms -> 1 / 5 / 1 / 0; 2-minute WebMAUS clips
 * 40-100 words back 29 of 29 -> 14-20. The confirmation keeps the damage and clean runs word
 * for word as before (without it a spurious place 35 words back put a so_test 8 s clip 553 ms
 * off); 200 or 300 frames to confirm helped the restarts more but replayed a clean espeak-ng
 * clip (test_00216, 27 -> 446 ms). */
#ifndef AL_VIT_REPLAY
#define AL_VIT_REPLAY 1
#endif
#ifndef AL_VIT_REPLAY_GAIN
#define AL_VIT_REPLAY_GAIN 1.5f
#endif
#ifndef AL_VIT_REPLAY_NOTE
#define AL_VIT_REPLAY_NOTE 1.0f
#endif
#ifndef AL_VIT_REPLAY_CONFIRM
#define AL_VIT_REPLAY_CONFIRM 100u
#endif
/* A place behind the path that gains AL_VIT_REPLAY_GAIN nats per frame may fit its frames up to
 * AL_VIT_REPLAY_LOOSE_DEFICIT nats per frame worse than their best classes (instead of
 * AL_VIT_LOCATE_DEFICIT) and still be noted and confirmed for a replay (session 16, viterbi.c
 * notable()): a reader's place fits a little worse where the model fits the speaker worse, and
 * the path that ran ahead fits far worse still. damage_eval.py --restart, WebMAUS >= 2 min 30
 * words back (a depth not used to build the replay): 4 -> 2 of 29 clips over 500 ms
 * (arctic_a0152: the look fit 1.34 nats a frame while gaining 2.42, and no replay came); every
 * clean set and the six damage runs word for word unchanged, the other restart runs still 0
 * clips over 500 ms (4 of 284 clips moved by less than 20 ms). Without the
 * gain condition (a looser deficit for a far look's place that lines up with a note, session
 * 15) a wrong place was confirmed at the end of WebMAUS arctic_a0537 100 words back (44 ms ->
 * 3.8 s). A look that lines up with a note of AL_VIT_REPLAY_GAIN may lack as much whatever its
 * own gain (the path may fit resembling words fairly): 30 words back 2 -> 1 of 29 (arctic_a0026
 * 1.0 s -> 28 ms). AL_VIT_LOCATE_DEFICIT turns it off. */
#ifndef AL_VIT_REPLAY_LOOSE_DEFICIT
#define AL_VIT_REPLAY_LOOSE_DEFICIT 1.5f
#endif
/* Follow-up of a strong note (session 15, viterbi.c recover()): a place noted behind the path
 * with AL_VIT_REPLAY_GAIN nats per frame is looked at again AL_VIT_FOLLOW_AFTER frames later
 * (inside AL_VIT_REPLAY_CONFIRM, at least AL_VIT_COLLAPSE_BACK frames after the last
 * re-anchor), where it would be by then, whatever the path's fit: before, only a poor fit or a
 * collapse looked, and a path that followed the repeated audio loosely left the note
 * unconfirmed for 15-25 s (WebMAUS arctic_a0001 40 words back: noted at word 25 at frame
 * 2,906, confirmed at frame 5,418). Restarts (damage_eval.py --restart): 2 -> 0 of 280 clip
 * runs over 500 ms; every clean set and the six damage runs word for word unchanged. */
#ifndef AL_VIT_NOTE_FOLLOW
#define AL_VIT_NOTE_FOLLOW 1
#endif
#ifndef AL_VIT_FOLLOW_AFTER
#define AL_VIT_FOLLOW_AFTER 75u
#endif
/* A far look's confirmed place in words still held (session 17, viterbi.c locate_far): taken
 * back as locate() does (relocate_back: AL_VIT_LOCATE_GAIN_BACK, AL_VIT_LOCATE_DEFICIT) if the
 * note it lines up with is in words, not the leading silence; before, a far look only replayed
 * into words that are out, and a reader restarted 15-20 words back (still held) was left to the
 * near look-behind, which needs AL_VIT_PERIODIC_BACK_GAIN. WebMAUS >= 2 min restarted 15 / 20
 * words back (damage_eval.py --restart K --concat 120 --lead 20): 11 / 5 -> 6 / 3 of 29 clips
 * more than 500 ms off. 0: off. */
#ifndef AL_VIT_FAR_HELD
#define AL_VIT_FAR_HELD 1
#endif
#ifndef AL_VIT_PERIODIC_BACK
#define AL_VIT_PERIODIC_BACK 1
#endif
#ifndef AL_VIT_PERIODIC_BACK_GAIN
#define AL_VIT_PERIODIC_BACK_GAIN 2.0f
#endif
#ifndef AL_VIT_FAR_CHUNKS
#define AL_VIT_FAR_CHUNKS 3
#endif
#ifndef AL_VIT_FAR_STEP
#define AL_VIT_FAR_STEP 320u
#endif
#ifndef AL_VIT_COLLAPSE_BACK_JUMP
#define AL_VIT_COLLAPSE_BACK_JUMP 32u
#endif
/* Words the path jumps over (a re-anchor, or a band that never reached the end of the
 * transcript) get times by proportional sharing by phone count (viterbi.c fill_skipped): in the
 * gap between their placed neighbours when it holds at least AL_VIT_FILL_MIN_FRAMES frames per
 * phone (30 ms: a 3-state phone HMM at 10 ms frames, PocketSphinx's shortest phone), else with the
 * word before them. At the end of the audio only where the frames after the last placed word
 * are mostly speech to the network (the transcript is longer than the audio: NF). */
#ifndef AL_VIT_FILL_MIN_FRAMES
#define AL_VIT_FILL_MIN_FRAMES 3
#endif
/* Second pass between anchors (viterbi.c second_pass): when the committed path re-enters the
 * transcript past words it never visited (a re-anchor), those words and the held word before
 * them are re-aligned by a Viterbi over the buffered logits from the held word's start to the
 * new word's start, constrained to start and end there. It runs only when the span is in the
 * logit ring (AL_VIT_RING_BACK frames back, the ring's guaranteed depth), has at most
 * AL_VIT_BAND states and AL_VIT_PASS2_WORDS words, and its 2-bit back-pointers fit the rows of
 * the back-pointer ring that hold no live frame (at least AL_VIT_LAG/2 rows); else the words
 * get interpolated times (above). */
#ifndef AL_VIT_HOLD
#define AL_VIT_HOLD 32          /* finished words held back for a second pass (ring depth) */
#endif
/* Answers (viterbi.c tell(), CONTRACT.md): a word is answered as soon as it is held (its path is
 * committed and the next word has started) and every placed word before it is answered; when it
 * leaves the hold queue with another time (the second pass, a re-anchor behind the path or a
 * replay moved it) it is answered again (an R line). The last AL_VIT_SENT answers are kept to
 * tell (a power of two; it must cover the held words, AL_VIT_HOLD + 1: an older word's answer
 * that is not kept is sent again whether it changed or not): 12 bytes each. */
#ifndef AL_VIT_SENT
#define AL_VIT_SENT 64u
#endif
#if (AL_VIT_SENT & (AL_VIT_SENT - 1u)) || AL_VIT_SENT < AL_VIT_HOLD + 1
#error "AL_VIT_SENT must be a power of two of at least AL_VIT_HOLD + 1"
#endif
/* Answers stay in word order (session 16, viterbi.c mend_order()): after a replay, the words a
 * re-anchor jumps over with no room for their audio are answered again between the words
 * answered again around them (interpolated, confidence 0; NF with less than a frame each)
 * instead of keeping earlier answers that now lie before them; a second pass or an
 * interpolation of skipped words starts after the previous word's last answer (a back pass may
 * have moved it). Before it, the last answers of the Speech Accent Archive clip english66
 * restarted 20 words back were out of order (word 14 answered at 4.77-10.26 s after word 13 at
 * 10.08-10.50 s). 0 turns both off. */
#ifndef AL_VIT_MEND_ORDER
#define AL_VIT_MEND_ORDER 1
#endif
/* The answers from before a replay, at the end (session 22, viterbi.c revert_replay()): when the
 * audio ends before the path, gone back to words that were out already, reaches again the words
 * read after them the first time, the words answered again since the replay get their answers
 * from before it back (kept in prior[], AL_VIT_SENT words, 12 bytes each) and the other answers
 * stand, instead of mend_tail() answering the words read the first time NF (still its job when
 * prior[] lacks an answer). Either reading is right for a reader who went back; a replay whose
 * words fit less than half as well as before (their confidences' sum) was other speech, and the
 * words never answered are then placed after the last answer. A reader who reads the start again
 * at the end (synthetic, 1 / 3 s): 250 / 829 of 1,200 words NF -> 0 / 2; eSpeak NG test_00216
 * with en-us phones (other speech taken for a restarted reading 3 s before the end): 14 NF -> 0.
 * 0 turns it off. */
#ifndef AL_VIT_REVERT_REPLAY
#define AL_VIT_REVERT_REPLAY 1
#endif
/* An end pass (session 22, viterbi.c end_pass()): when the network hears speech after the last
 * word's answer (the path reached the end of the transcript early, e.g. a scan through other
 * speech), the last words are aligned again against the end of the audio with a free start
 * (the back pass's alignment) and answered again where they fit AL_VIT_END_GAIN times better
 * (confidence) than where they were answered. 0 turns it off. */
#ifndef AL_VIT_END_PASS
#define AL_VIT_END_PASS 1
#endif
#ifndef AL_VIT_END_GAIN
#define AL_VIT_END_GAIN 2
#endif
/* A place noted behind the path ages only in speech (session 22, viterbi.c note_age()): the look
 * that confirms it (AL_VIT_FOLLOW_AFTER frames later, where the reader would be by then) and its
 * lapse (AL_VIT_REPLAY_CONFIRM) count the frames whose best class is not silence: a reader does
 * not move on in a pause, and a look that falls in one finds no reading. WebMAUS clips of >= 2
 * min restarted 15 words back: 4 -> 0 of 29 clips over 500 ms (arctic_b0035's confirming look
 * fell in a 1.8 s pause). 0 turns it off. */
#ifndef AL_VIT_NOTE_PAUSE
#define AL_VIT_NOTE_PAUSE 1
#endif
#ifndef AL_VIT_PASS2_STATES
#define AL_VIT_PASS2_STATES 512 /* states a second pass spans (its score column) */
#endif
#if AL_VIT_COLLAPSE_BACK_STATES >= AL_VIT_PASS2_STATES
#error "AL_VIT_COLLAPSE_BACK_STATES must leave room in the score column (AL_VIT_PASS2_STATES)"
#endif
#ifndef AL_VIT_PASS2_BACK
#define AL_VIT_PASS2_BACK 300   /* frames: the pass starts at the newest held word that started
                                  * this long before the last frame on track (3 s; 0, 0.5 and
                                  * 1.5 s re-aligned less: damage_eval.py 4 s 29.6 / 28.1 /
                                  * 27.8 ms vs 27.7 ms outside the stretch, 8 s 99.8 / 99.5 /
                                  * 95.5 vs 94.6 ms) */
#endif
#ifndef AL_VIT_PASS2_CELLS
#define AL_VIT_PASS2_CELLS 131072 /* frames x states of one pass: ~34 M7 cycles each (viterbi.c
                                  * p2_column; 65,536 at ~65 cycles before), so <= ~4.5 M cycles
                                  * (until session 11 inside one 20 ms audio block of 8 M with the
                                  * block's own work; now spread by AL_VIT_BLOCK_CELLS below). An
                                  * unbounded pass of 166,704 cells took 13.5 M with the old kernel.
                                  * The pass also needs its 2-bit back-pointers in the free rows of
                                  * bp[] (>= 98,304 cells). Part of the search's decisions: changing
                                  * it changes results. */
#endif
/* Second pass after a re-anchor behind the path: its optional silences also take speech that
 * none of its words fits (a filler, viterbi.c second_pass, session 17): a frame there scores the
 * better of the silence class and the frame's best class less AL_VIT_PASS2_FILLER nats, the
 * deficit a frame that fits stays within (AL_VIT_LOCATE_DEFICIT; the back pass counts the
 * frames before its path the same way). Without it a pass over audio that holds its words
 * twice (a reader who went back a few words) stretched them over both readings: Speech Accent
 * Archive clips restarted 15 words back (damage_eval.py --restart 15), repeated words 226 ->
 * 35.2 ms, the others 30.8 -> 23.4 ms. After forward re-anchors too it placed words on
 * look-alike speech (README.md). 0: silence only. */
#ifndef AL_VIT_PASS2_FILLER
#define AL_VIT_PASS2_FILLER AL_VIT_LOCATE_DEFICIT
#endif
#ifndef AL_VIT_PASS2_WORDS
#define AL_VIT_PASS2_WORDS 96   /* words a second pass spans */
#endif
/* Back pass after a replay (viterbi.c back_passes, README.md "Recovery: a back pass after a
 * replay", session 15): the words just before the place a replay re-anchors at were read there,
 * in audio the logit ring still holds, while the path, ahead then, placed them over the
 * repeated audio (their answers are out). Right after the replay they are aligned once more
 * over the last AL_VIT_BACK_FRAMES frames with the end fixed at the replay's place and a free
 * start (a local alignment: any of them may begin the path at any frame; a frame before the
 * path counts AL_VIT_BACK_BONUS nats less than its best class, the deficit a fitting frame
 * stays within: AL_VIT_LOCATE_DEFICIT). From the newest back, each word on the path with a
 * confidence of at least AL_VIT_BACK_MIN_CONF and higher than its last answer's is answered
 * again (an R line), if those words span AL_VIT_BACK_MIN_FRAMES; never the path's first word;
 * once the path has started its first word after the replay, and only if it went on from the
 * replay's place (else the answers would leave word order). Up to AL_VIT_BACK_PASSES passes,
 * each next one ending where the last one's words begin. Restarts
 * (damage_eval.py --restart, docs/alignment-results.md): 7 -> 2 of 280 clip runs over 500 ms;
 * without the confidence rules the pass went on over the first reading's end into words read
 * before the restart (SAA 40 words back 0 -> 7 clips over). */
#ifndef AL_VIT_BACK_PASS
#define AL_VIT_BACK_PASS 1
#endif
#ifndef AL_VIT_BACK_PASSES
#define AL_VIT_BACK_PASSES 4u   /* passes one after another, each ending where the last began */
#endif
#ifndef AL_VIT_BACK_MIN_CONF
#define AL_VIT_BACK_MIN_CONF 50 /* permille: a word the pass fits worse ends the words it answers
                                  * again (the path crossed where the reader went back) */
#endif
#ifndef AL_VIT_BACK_MIN_FRAMES
#define AL_VIT_BACK_MIN_FRAMES AL_VIT_COLLAPSE_BACK   /* the words a pass answers again span
                                                       * this many frames at least */
#endif
#ifndef AL_VIT_BACK_FRAMES
#define AL_VIT_BACK_FRAMES 500u
#endif
#ifndef AL_VIT_BACK_BONUS
#define AL_VIT_BACK_BONUS AL_VIT_LOCATE_DEFICIT
#endif
#ifndef AL_NF_MIN_CONF
#define AL_NF_MIN_CONF 0        /* default: confidence (permille) below this -> NF; 0 = a word
                                  * the path went through is always placed (with its confidence) */
#endif

/* Block budget (viterbi.c, README.md "Block budget"): the search does at most
 * AL_VIT_BLOCK_CELLS work units (one state in one frame: a cell of the band, of a second pass or
 * of a locate() column) per audio block (al_push_audio call) and goes on in the next block where
 * it stopped, on a stack of its own (AL_VIT_CO_STACK bytes; al_coro.h), while the frames queue
 * in the logit ring: one second pass (<= 131,072 cells, ~4.5 M M7 cycles) or a locate() no
 * longer lands in one 20 ms block on top of the network. The ring holds AL_VIT_RING_BACK frames
 * plus the queue; a queue that would outgrow it is searched at once (late, not lost). The word
 * results do not depend on the budget. 0 turns it off. */
#ifndef AL_VIT_BLOCK_CELLS
#define AL_VIT_BLOCK_CELLS 65536
#endif
#ifndef AL_VIT_CO_STACK
#if defined(__ARM_ARCH_7EM__)
#define AL_VIT_CO_STACK 2048
#else
#define AL_VIT_CO_STACK 65536
#endif
#endif

#define AL_UNITS_MAX (AL_MAX_PHONES + AL_MAX_WORDS + 1)

/* error codes */
#define AL_OK          0
#define AL_E_MODEL    -1   /* model does not fit the compile-time maxima */
#define AL_E_STATE    -2   /* call out of order */
#define AL_E_FULL     -3   /* transcript maxima exceeded (the word is answered NF) */
#define AL_E_ARG      -4   /* bad argument (index out of order, bad class id) */


/* Hot code placement. In the M7 firmware the per-frame kernels go to ITCM (.itcm_text, copied
 * from flash by startup): 0-wait fetch, no I-cache misses, and their speed does not depend on
 * where the rest of the image lands in flash. -DAL_NO_ITCM (or a non-M7 build) leaves them in
 * .text. */
#if defined(__ARM_ARCH_7EM__) && !defined(AL_NO_ITCM)
#define AL_HOT __attribute__((section(".itcm_text")))
#else
#define AL_HOT
#endif

/* Placement of the Viterbi state (al_vit_t, ~66 KB with the defaults, most of it the transcript
 * units and the back-pointer ring, of which a frame touches a few lines). -DAL_VIT_IN_AXISRAM
 * puts it in .axisram (zeroed by startup, cached by the M7 D-cache); by default it stays with
 * the rest of the library state. */
#if defined(AL_VIT_IN_AXISRAM)
#define AL_VIT_SECTION __attribute__((section(".axisram"), aligned(32)))
#else
#define AL_VIT_SECTION
#endif

#endif /* AL_CONFIG_H */
