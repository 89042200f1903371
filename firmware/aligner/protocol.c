/* protocol.c - see protocol.h. No stdio: the integer formatting is done here. */
#include "protocol.h"
#include "aligner.h"

void al_proto_init(al_proto_t *p)
{
    p->len = 0;
    p->overflow = 0;
    p->msg.type = AL_MSG_NONE;
    p->last_err = AL_OK;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* reads an unsigned decimal; returns 0 if none */
static int read_uint(const char *s, uint32_t len, uint32_t *pos, uint32_t *out)
{
    uint32_t i = *pos, v = 0;
    while (i < len && is_space(s[i])) i++;
    if (i >= len || s[i] < '0' || s[i] > '9') { *pos = i; return 0; }
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        uint32_t d = (uint32_t)(s[i] - '0');
        if (v > (0xffffffffu - d) / 10u) v = 0xffffffffu; else v = v * 10u + d;
        i++;
    }
    if (i < len && !is_space(s[i])) { *pos = i; return 0; }   /* "12x" */
    *pos = i;
    *out = v;
    return 1;
}

static int at_end(const char *s, uint32_t len, uint32_t pos)
{
    while (pos < len && is_space(s[pos])) pos++;
    return pos >= len;
}

al_msg_type_t al_proto_parse(const char *s, uint32_t len, al_msg_t *m)
{
    uint32_t pos = 0;
    m->type = AL_MSG_NONE;
    m->n_ids = 0;
    m->truncated = 0;
    m->value = 0;
    while (pos < len && is_space(s[pos])) pos++;
    if (pos >= len || s[pos] == '#') return AL_MSG_NONE;
    char cmd = s[pos++];
    if (pos < len && !is_space(s[pos])) return m->type = AL_MSG_ERROR;
    switch (cmd) {
    case 'T':
        if (!read_uint(s, len, &pos, &m->value) || !at_end(s, len, pos)) return m->type = AL_MSG_ERROR;
        return m->type = AL_MSG_HEADER;
    case 'E':
        if (!at_end(s, len, pos)) return m->type = AL_MSG_ERROR;
        return m->type = AL_MSG_END;
    case 'W': {
        if (!read_uint(s, len, &pos, &m->value)) return m->type = AL_MSG_ERROR;
        uint32_t id;
        while (!at_end(s, len, pos)) {
            if (!read_uint(s, len, &pos, &id)) { m->truncated = 1; break; }
            if (m->n_ids >= AL_PROTO_MAX_IDS || id > 0xffffu) { m->truncated = 1; break; }
            m->ids[m->n_ids++] = (uint16_t)id;
        }
        return m->type = AL_MSG_WORD;
    }
    default:
        return m->type = AL_MSG_ERROR;
    }
}

int al_proto_apply(const al_msg_t *m)
{
    switch (m->type) {
    case AL_MSG_HEADER: return al_begin_transcript(m->value);
    case AL_MSG_WORD: {
        /* a word whose line could not be read completely is placed nowhere: NF */
        int r = al_add_word(m->value, m->ids, m->truncated ? 0u : m->n_ids);
        return (r == AL_OK && m->truncated) ? AL_E_ARG : r;
    }
    case AL_MSG_END: return al_end_transcript();
    case AL_MSG_ERROR: return AL_E_ARG;
    default: return AL_OK;
    }
}

al_msg_type_t al_proto_putc(al_proto_t *p, char ch)
{
    if (ch != '\n') {
        if (p->len < AL_PROTO_LINE_MAX) p->line[p->len++] = ch;
        else p->overflow = 1;
        return AL_MSG_NONE;
    }
    al_msg_type_t t = al_proto_parse(p->line, p->len, &p->msg);
    if (p->overflow && t == AL_MSG_WORD) p->msg.truncated = 1;
    else if (p->overflow) t = p->msg.type = AL_MSG_ERROR;
    int r = al_proto_apply(&p->msg);
    if (r != AL_OK) { p->last_err = r; t = AL_MSG_ERROR; }   /* a rejected W is still NF */
    p->len = 0;
    p->overflow = 0;
    return t;
}

/* ---- output ------------------------------------------------------------------------------- */
static size_t put_int(char *b, size_t i, size_t cap, int32_t v)
{
    char tmp[12];
    size_t n = 0;
    uint32_t u = v < 0 ? (uint32_t)0 - (uint32_t)v : (uint32_t)v;
    do { tmp[n++] = (char)('0' + u % 10u); u /= 10u; } while (u);
    if (v < 0) tmp[n++] = '-';
    if (i + n > cap) return cap + 1;
    while (n) b[i++] = tmp[--n];
    return i;
}

static size_t put_str(char *b, size_t i, size_t cap, const char *s)
{
    while (*s) { if (i >= cap) return cap + 1; b[i++] = *s++; }
    return i;
}

size_t al_fmt_result(char *b, size_t cap, const al_word_result_t *r)
{
    size_t i = put_str(b, 0, cap, r->revised ? "R " : "A ");
    if (i <= cap) i = put_int(b, i, cap, r->word);
    if (r->nf) {
        if (i <= cap) i = put_str(b, i, cap, " NF\n");
    } else {
        if (i <= cap) i = put_str(b, i, cap, " ");
        if (i <= cap) i = put_int(b, i, cap, r->start_ms);
        if (i <= cap) i = put_str(b, i, cap, " ");
        if (i <= cap) i = put_int(b, i, cap, r->end_ms);
        if (i <= cap) i = put_str(b, i, cap, " ");
        if (i <= cap) i = put_int(b, i, cap, r->conf);
        if (i <= cap) i = put_str(b, i, cap, "\n");
    }
    return i <= cap ? i : 0;
}

size_t al_fmt_done(char *b, size_t cap, uint32_t n_frames, uint32_t n_words)
{
    size_t i = put_str(b, 0, cap, "D ");
    if (i <= cap) i = put_int(b, i, cap, (int32_t)n_frames);
    if (i <= cap) i = put_str(b, i, cap, " ");
    if (i <= cap) i = put_int(b, i, cap, (int32_t)n_words);
    if (i <= cap) i = put_str(b, i, cap, "\n");
    return i <= cap ? i : 0;
}
