/* protocol.h - the USART3 line protocol of CONTRACT.md, without any hardware access.
 * Host -> firmware:  "T <n_words>", "W <index> <id> ...", "E"   ('\n' ends a line, '\r' ignored)
 * Firmware -> host:  "A <index> <start_ms> <end_ms> <conf>", "A <index> NF", "D <frames> <words>"
 * Feed received bytes to al_proto_putc(); complete lines are parsed and applied to the aligner
 * (aligner.h). Results are formatted with al_fmt_result() / al_fmt_done(). */
#ifndef AL_PROTOCOL_H
#define AL_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include "viterbi.h"

#ifndef AL_PROTO_LINE_MAX
#define AL_PROTO_LINE_MAX 512      /* longer lines are cut: a cut W line is answered NF */
#endif
#ifndef AL_PROTO_MAX_IDS
#define AL_PROTO_MAX_IDS 96        /* phones per word */
#endif

typedef enum {
    AL_MSG_NONE = 0,     /* no complete line yet / empty or comment line */
    AL_MSG_HEADER,       /* T */
    AL_MSG_WORD,         /* W */
    AL_MSG_END,          /* E */
    AL_MSG_ERROR         /* malformed or rejected line (the app may log it with '#') */
} al_msg_type_t;

typedef struct {
    al_msg_type_t type;
    uint32_t value;                 /* T: n_words, W: word index */
    uint32_t n_ids;
    uint8_t truncated;              /* W line was too long or had too many ids */
    uint16_t ids[AL_PROTO_MAX_IDS];
} al_msg_t;

typedef struct {
    char line[AL_PROTO_LINE_MAX];
    uint32_t len;
    uint8_t overflow;
    al_msg_t msg;                   /* last parsed line */
    int32_t last_err;               /* AL_* code of the last rejected line */
} al_proto_t;

void al_proto_init(al_proto_t *p);
/* Parse one line (no '\n'); fills msg. Returns its type (AL_MSG_ERROR on syntax errors). */
al_msg_type_t al_proto_parse(const char *line, uint32_t len, al_msg_t *msg);
/* Apply a parsed message to the aligner. Returns AL_OK or an AL_E_* code. */
int al_proto_apply(const al_msg_t *msg);
/* Byte-wise input: returns the type of the line this byte completed (AL_MSG_NONE otherwise);
 * the line is parsed and applied already. AL_MSG_ERROR: syntax error or rejected by the
 * aligner (code in last_err); a rejected or cut W line still gets its NF answer. */
al_msg_type_t al_proto_putc(al_proto_t *p, char ch);

/* Output lines including the trailing '\n'; return the length (0 if cap is too small). */
size_t al_fmt_result(char *buf, size_t cap, const al_word_result_t *r);
size_t al_fmt_done(char *buf, size_t cap, uint32_t n_frames, uint32_t n_words);

#endif
