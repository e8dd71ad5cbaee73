/*
 * bce_port.c: an example port of PyTorch's BCELoss and BCEWithLogitsLoss in C, speaking the
 * swift-bce port protocol (docs/CONTRACTS.md section 5; scripts/ports/README.md).
 *
 * C99, libc and libm only: it has its own small JSON parser, its own float16/bfloat16
 * conversions and no fixed-size buffers (a line can be tens of MB). Every value is computed in
 * long double (x87 extended on x86-64: 64-bit significand) with the cancellation-free forms of
 * scripts/bce_reference.py and rounded ONCE, to nearest even, to the case dtype.
 *
 * Build:   cc -std=c99 -O2 -o bce_port bce_port.c -lm        (static: add -static)
 * Run:     bce-conformance run --port scripts/ports/c_port/bce_port
 * By hand: printf '%s\n' '{"type":"start","protocol_version":2}' '{"type":"stop"}' | ./bce_port
 *
 * Malformed input (bad JSON, a missing field, a bad hex string, ...) prints "bce_port: ..." on
 * stderr, naming what was wrong and where, and exits 2; running out of memory exits 3.
 */

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORT_VERSION "1.0.0"
#define PROTOCOL_VERSION 2
#define MAX_DEPTH 64 /* JSON nesting limit: the protocol needs 5 levels */

/* ------------------------------------------------------------------------------------------ */
/* Failing clearly */

static const char *current_case = NULL; /* id of the case being read, for messages */

static void fail(const char *fmt, ...)
{
    va_list ap;
    fputs("bce_port: ", stderr);
    if (current_case) fprintf(stderr, "case \"%s\": ", current_case);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "bce_port: out of memory (%lu bytes)\n", (unsigned long)n);
        exit(3);
    }
    return p;
}

static void *xrealloc(void *old, size_t n)
{
    void *p = realloc(old, n ? n : 1);
    if (!p) {
        fprintf(stderr, "bce_port: out of memory (%lu bytes)\n", (unsigned long)n);
        exit(3);
    }
    return p;
}

/* a * b, failing instead of wrapping around */
static size_t mul_size(size_t a, size_t b, const char *what)
{
    if (a != 0 && b > SIZE_MAX / a) fail("%s is too large", what);
    return a * b;
}

/* ------------------------------------------------------------------------------------------ */
/* JSON: a tree parsed from one NUL-terminated line */

enum jtype { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

typedef struct jvalue {
    enum jtype type;
    double number;
    char *str; /* J_STRING: UTF-8, NUL-terminated (len excludes the NUL; may contain NULs) */
    size_t len;
    struct jvalue *items; /* J_ARRAY elements or J_OBJECT values */
    char **keys;          /* J_OBJECT keys */
    size_t count;
} jvalue;

typedef struct {
    char *p;     /* current position */
    char *start; /* the line, for column numbers */
} jparser;

static void jfail(jparser *ps, const char *what)
{
    fail("malformed JSON at column %lu: %s", (unsigned long)(ps->p - ps->start) + 1, what);
}

static void skip_ws(jparser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n') ps->p++;
}

static void jfree(jvalue *v)
{
    size_t i;
    if (v->type == J_STRING) free(v->str);
    if (v->type == J_ARRAY || v->type == J_OBJECT) {
        for (i = 0; i < v->count; i++) {
            jfree(&v->items[i]);
            if (v->type == J_OBJECT) free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static unsigned parse_u4(jparser *ps)
{
    unsigned u = 0;
    int i, h;
    for (i = 0; i < 4; i++) {
        h = hexval((unsigned char)ps->p[i]);
        if (h < 0) jfail(ps, "\\u needs 4 hex digits");
        u = u * 16 + (unsigned)h;
    }
    ps->p += 4;
    return u;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not valid UTF-8. */
static int utf8_length(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf) return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (s[0] >= 0xe0 && s[0] <= 0xef) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80) return 0;
        if (s[0] == 0xe0 && s[1] < 0xa0) return 0; /* overlong */
        if (s[0] == 0xed && s[1] >= 0xa0) return 0; /* surrogate */
        return 3;
    }
    if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80) return 0;
        if (s[0] == 0xf0 && s[1] < 0x90) return 0; /* overlong */
        if (s[0] == 0xf4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* A string at ps->p (on the opening quote); the decoded text is never longer than the source. */
static char *parse_string(jparser *ps, size_t *len_out)
{
    char *begin = ++ps->p, *out, *o;
    size_t cap = 0;
    /* find the closing quote to size the buffer */
    while (*ps->p && *ps->p != '"') {
        if (*ps->p == '\\' && ps->p[1]) ps->p++;
        ps->p++;
    }
    if (!*ps->p) jfail(ps, "unterminated string");
    cap = (size_t)(ps->p - begin) + 1;
    ps->p = begin;
    o = out = xmalloc(cap);
    for (;;) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') { ps->p++; break; }
        if (c < 0x20) { free(out); jfail(ps, "control character in string"); }
        if (c == '\\') {
            unsigned long cp;
            ps->p++;
            switch (*ps->p++) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '/': *o++ = '/'; break;
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u':
                cp = parse_u4(ps);
                if (cp >= 0xdc00 && cp <= 0xdfff) { free(out); jfail(ps, "unpaired low surrogate in \\u escape"); }
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    unsigned long lo;
                    if (ps->p[0] != '\\' || ps->p[1] != 'u') { free(out); jfail(ps, "unpaired high surrogate in \\u escape"); }
                    ps->p += 2;
                    lo = parse_u4(ps);
                    if (lo < 0xdc00 || lo > 0xdfff) { free(out); jfail(ps, "high surrogate not followed by a low one"); }
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                o += put_utf8(o, cp); /* at most as long as the escape it replaces */
                break;
            default:
                ps->p--;
                free(out);
                jfail(ps, "invalid escape in string");
            }
        } else {
            int n = utf8_length((const unsigned char *)ps->p);
            if (!n) { free(out); jfail(ps, "invalid UTF-8 in string"); }
            memcpy(o, ps->p, (size_t)n);
            o += n;
            ps->p += n;
        }
    }
    *o = '\0';
    *len_out = (size_t)(o - out);
    return out;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static void parse_value(jparser *ps, jvalue *v, int depth);

static void parse_number(jparser *ps, jvalue *v)
{
    char *begin = ps->p, saved;
    if (*ps->p == '-') ps->p++;
    if (*ps->p == '0') {
        ps->p++;
    } else if (is_digit(*ps->p)) {
        while (is_digit(*ps->p)) ps->p++;
    } else {
        jfail(ps, "invalid number");
    }
    if (*ps->p == '.') {
        ps->p++;
        if (!is_digit(*ps->p)) jfail(ps, "digit expected after '.'");
        while (is_digit(*ps->p)) ps->p++;
    }
    if (*ps->p == 'e' || *ps->p == 'E') {
        ps->p++;
        if (*ps->p == '+' || *ps->p == '-') ps->p++;
        if (!is_digit(*ps->p)) jfail(ps, "digit expected in exponent");
        while (is_digit(*ps->p)) ps->p++;
    }
    /* strtod on exactly the validated text (it would read more, e.g. hex, otherwise) */
    saved = *ps->p;
    *ps->p = '\0';
    v->type = J_NUMBER;
    v->number = strtod(begin, NULL);
    *ps->p = saved;
}

static void parse_container(jparser *ps, jvalue *v, int depth, int object)
{
    size_t cap = 0;
    char close = object ? '}' : ']';
    v->type = object ? J_OBJECT : J_ARRAY;
    v->items = NULL;
    v->keys = NULL;
    v->count = 0;
    ps->p++;
    skip_ws(ps);
    if (*ps->p == close) { ps->p++; return; }
    for (;;) {
        if (v->count == cap) {
            cap = cap ? 2 * cap : 4;
            v->items = xrealloc(v->items, mul_size(cap, sizeof *v->items, "a JSON container"));
            if (object) v->keys = xrealloc(v->keys, mul_size(cap, sizeof *v->keys, "a JSON object"));
        }
        if (object) {
            size_t klen;
            skip_ws(ps);
            if (*ps->p != '"') jfail(ps, "object key (a string) expected");
            v->keys[v->count] = parse_string(ps, &klen);
            v->items[v->count].type = J_NULL; /* so that a failure below frees cleanly */
            v->count++;
            skip_ws(ps);
            if (*ps->p != ':') jfail(ps, "':' expected after object key");
            ps->p++;
            parse_value(ps, &v->items[v->count - 1], depth + 1);
        } else {
            parse_value(ps, &v->items[v->count], depth + 1);
            v->count++;
        }
        skip_ws(ps);
        if (*ps->p == ',') { ps->p++; continue; }
        if (*ps->p == close) { ps->p++; return; }
        jfail(ps, object ? "',' or '}' expected in object" : "',' or ']' expected in array");
    }
}

static void parse_value(jparser *ps, jvalue *v, int depth)
{
    skip_ws(ps);
    v->type = J_NULL;
    if (depth > MAX_DEPTH) jfail(ps, "nested too deeply");
    switch (*ps->p) {
    case '{': parse_container(ps, v, depth, 1); return;
    case '[': parse_container(ps, v, depth, 0); return;
    case '"': v->str = parse_string(ps, &v->len); v->type = J_STRING; return;
    case 't': if (!strncmp(ps->p, "true", 4)) { ps->p += 4; v->type = J_TRUE; return; } break;
    case 'f': if (!strncmp(ps->p, "false", 5)) { ps->p += 5; v->type = J_FALSE; return; } break;
    case 'n': if (!strncmp(ps->p, "null", 4)) { ps->p += 4; v->type = J_NULL; return; } break;
    case '\0': jfail(ps, "unexpected end of line"); break;
    default:
        if (*ps->p == '-' || is_digit(*ps->p)) { parse_number(ps, v); return; }
    }
    jfail(ps, "unexpected character");
}

/* Parses a whole line (len bytes, NUL-terminated) into *v. */
static void parse_line(char *line, size_t len, jvalue *v)
{
    jparser ps;
    ps.p = ps.start = line;
    if (strlen(line) != len) {
        ps.p = line + strlen(line);
        jfail(&ps, "NUL byte in line");
    }
    parse_value(&ps, v, 0);
    skip_ws(&ps);
    if (*ps.p) jfail(&ps, "text after the JSON value");
}

static const jvalue *member(const jvalue *obj, const char *key)
{
    size_t i;
    if (obj->type != J_OBJECT) return NULL;
    for (i = 0; i < obj->count; i++)
        if (!strcmp(obj->keys[i], key)) return &obj->items[i];
    return NULL;
}

static const char *type_name(enum jtype t)
{
    static const char *names[] = {"null", "false", "true", "a number", "a string", "an array", "an object"};
    return names[t];
}

static const jvalue *require(const jvalue *obj, const char *key, enum jtype type, const char *where)
{
    const jvalue *v = member(obj, key);
    if (!v) fail("%s has no field \"%s\"", where, key);
    if (v->type != type) fail("%s.%s is %s, expected %s", where, key, type_name(v->type), type_name(type));
    return v;
}

/* ------------------------------------------------------------------------------------------ */
/* Dtypes: decoding bits exactly, rounding a long double once to nearest even */

typedef struct {
    const char *name;
    int hex_digits;  /* 4 / 4 / 8 / 16 */
    int precision;   /* significand bits, the leading one included */
    int emin;        /* exponent of the smallest normal */
    int emax;        /* exponent of the largest finite */
    uint64_t nan;    /* canonical quiet NaN */
} dtype_info;

static const dtype_info DTYPES[] = {
    {"float16", 4, 11, -14, 15, 0x7e00},
    {"bfloat16", 4, 8, -126, 127, 0x7fc0},
    {"float32", 8, 24, -126, 127, 0x7fc00000},
    {"float64", 16, 53, -1022, 1023, 0x7ff8000000000000ULL},
};
enum { F16, BF16, F32, F64, NDTYPES };

static long double from_bits(int dt, uint64_t bits)
{
    float f;
    double d;
    uint32_t u32;
    if (dt == F16) {
        int sign = (int)(bits >> 15) & 1, e = (int)(bits >> 10) & 0x1f;
        long double m = (long double)(bits & 0x3ff), v;
        if (e == 0x1f) v = m != 0 ? NAN : INFINITY;
        else if (e == 0) v = ldexpl(m, -24);
        else v = ldexpl(m + 1024, e - 25);
        return sign ? -v : v;
    }
    if (dt == BF16) {
        u32 = (uint32_t)bits << 16;
        memcpy(&f, &u32, 4);
        return f;
    }
    if (dt == F32) {
        u32 = (uint32_t)bits;
        memcpy(&f, &u32, 4);
        return f;
    }
    memcpy(&d, &bits, 8);
    return d;
}

/* The bits of v + lo rounded to the dtype (round half to even; overflow to +-inf; NaN canonical).
   lo is v's own rounding error (0 if unknown): it decides only where v lies exactly halfway
   between two values of the dtype. */
static uint64_t to_bits_lo(int dt, long double v, long double lo)
{
    const dtype_info *t = &DTYPES[dt];
    int sign = signbit(v) != 0, e;
    long double a = fabsl(v), r;
    float f;
    double d;
    uint32_t u32;
    uint64_t u64;
    if (isnan(v)) return t->nan;
    if (a != 0 && !isinf(a)) {
        int quantum;
        frexpl(a, &e); /* a in [2^(e-1), 2^e) */
        quantum = e - t->precision;
        if (quantum < t->emin - t->precision + 1) quantum = t->emin - t->precision + 1; /* subnormals */
        r = ldexpl(a, -quantum); /* exact scaling */
        if (r - floorl(r) == 0.5L && lo != 0 && isfinite(lo))
            r = (lo > 0) == (v > 0) ? floorl(r) + 1 : floorl(r); /* a tie: the error says which side */
        else
            r = rintl(r); /* nearest, ties to even */
        r = ldexpl(r, quantum); /* exact: an integer times 2^quantum */
        a = r >= ldexpl(1.0L, t->emax + 1) ? INFINITY : r;
    }
    /* a is now representable in the dtype (or inf/0), so these casts are exact */
    if (dt == F64) {
        d = (double)a;
        memcpy(&u64, &d, 8);
        return u64 | ((uint64_t)sign << 63);
    }
    f = (float)a;
    memcpy(&u32, &f, 4);
    u32 |= (uint32_t)sign << 31;
    if (dt == F32) return u32;
    if (dt == BF16) return u32 >> 16;
    /* float16 from the exact float32 */
    {
        uint32_t s = (u32 >> 16) & 0x8000, ex = (u32 >> 23) & 0xff, m = u32 & 0x7fffff;
        if (ex == 0xff) return s | 0x7c00;                           /* inf (NaN handled above) */
        if (a == 0) return s;
        if ((int)ex - 127 >= -14) return s | (((ex - 127 + 15) << 10) | (m >> 13));
        return s | (uint32_t)ldexpl(a, 24); /* subnormal: a = k * 2^-24 */
    }
}

static uint64_t to_bits(int dt, long double v) { return to_bits_lo(dt, v, 0); }

static int dtype_index(const char *name)
{
    int i;
    for (i = 0; i < NDTYPES; i++)
        if (!strcmp(name, DTYPES[i].name)) return i;
    return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Tensors */

typedef struct {
    size_t ndim;
    size_t *shape;
    size_t count;
    long double *v;
} tensor;

static void tensor_free(tensor *t)
{
    free(t->shape);
    free(t->v);
    t->shape = NULL;
    t->v = NULL;
}

static void shape_text(const tensor *t, char *buf, size_t cap)
{
    size_t i, n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (i = 0; i < t->ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %lu" : "%lu", (unsigned long)t->shape[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

static void read_tensor(const jvalue *inputs, const char *name, int dt, tensor *out)
{
    const jvalue *obj = require(inputs, name, J_OBJECT, "case.inputs");
    const jvalue *jd, *js, *jh;
    size_t i, k, width = (size_t)DTYPES[dt].hex_digits;
    char where[64];
    sprintf(where, "case.inputs.%s", name); /* name is one of ours: short */
    jd = require(obj, "dtype", J_STRING, where);
    js = require(obj, "shape", J_ARRAY, where);
    jh = require(obj, "hex", J_STRING, where);
    if (strcmp(jd->str, DTYPES[dt].name))
        fail("case.inputs.%s.dtype is \"%s\", the case's dtype is \"%s\"", name, jd->str, DTYPES[dt].name);
    out->ndim = js->count;
    out->shape = xmalloc(mul_size(js->count, sizeof *out->shape, "a shape"));
    out->count = 1;
    for (i = 0; i < js->count; i++) {
        double d = js->items[i].number;
        if (js->items[i].type != J_NUMBER || !(d >= 0) || d != floor(d) || d > 9007199254740992.0 || d > (double)SIZE_MAX)
            fail("case.inputs.%s.shape[%lu] is not a non-negative integer", name, (unsigned long)i);
        out->shape[i] = (size_t)d;
        out->count = mul_size(out->count, out->shape[i], "a tensor's element count");
    }
    if (jh->len / width != out->count || jh->len % width != 0) {
        char s[256];
        shape_text(out, s, sizeof s);
        fail("case.inputs.%s.hex has %lu hex digits; shape %s of %s needs %lu x %lu", name, (unsigned long)jh->len,
             s, DTYPES[dt].name, (unsigned long)out->count, (unsigned long)width);
    }
    out->v = xmalloc(mul_size(out->count, sizeof *out->v, "a tensor"));
    for (i = 0; i < out->count; i++) {
        uint64_t bits = 0;
        for (k = 0; k < width; k++) {
            int h = hexval((unsigned char)jh->str[i * width + k]);
            if (h < 0)
                fail("case.inputs.%s.hex: character %lu is not a hex digit", name, (unsigned long)(i * width + k));
            bits = bits << 4 | (uint64_t)h;
        }
        out->v[i] = from_bits(dt, bits);
    }
}

/* Does shape `s` broadcast into `t` by trailing alignment without enlarging it? */
static int broadcasts_into(const tensor *s, const tensor *t)
{
    size_t i;
    if (s->ndim > t->ndim) return 0;
    for (i = 1; i <= s->ndim; i++) {
        size_t a = s->shape[s->ndim - i], b = t->shape[t->ndim - i];
        if (a != b && a != 1) return 0;
    }
    return 1;
}

/* The flat offset into `s` (broadcast into `t`) of every flat index of `t`. */
static size_t *broadcast_offsets(const tensor *s, const tensor *t)
{
    size_t *off = xmalloc(mul_size(t->count, sizeof *off, "a broadcast"));
    size_t *idx = xmalloc(mul_size(t->ndim, sizeof *idx, "a shape"));
    size_t *stride = xmalloc(mul_size(t->ndim, sizeof *stride, "a shape"));
    size_t i, d, lead = t->ndim - s->ndim, acc = 1, o = 0;
    for (d = t->ndim; d-- > 0;) {
        size_t sd = d >= lead ? s->shape[d - lead] : 1;
        stride[d] = sd == 1 ? 0 : acc;
        acc *= sd;
        idx[d] = 0;
    }
    for (i = 0; i < t->count; i++) {
        off[i] = o;
        for (d = t->ndim; d-- > 0;) { /* odometer step */
            o += stride[d];
            if (++idx[d] < t->shape[d]) break;
            o -= stride[d] * idx[d];
            idx[d] = 0;
        }
    }
    free(idx);
    free(stride);
    return off;
}

/* ------------------------------------------------------------------------------------------ */
/* The losses in long double (PyTorch 2.x: aten/src/ATen/native/Loss.cpp, cpu/Activation.cpp,
   torch/csrc/autograd/FunctionsManual.cpp), in scripts/bce_reference.py's cancellation-free forms */

/* NumPy's maximum/minimum: NaN propagates; on ties the first argument (keeps the sign of a zero) */
static long double max_nan(long double a, long double b) { return isnan(a) || isnan(b) ? NAN : a >= b ? a : b; }
static long double min_nan(long double a, long double b) { return isnan(a) || isnan(b) ? NAN : a <= b ? a : b; }

static long double log_sigmoid(long double z) { return min_nan(z, 0) - log1pl(expl(-fabsl(z))); }

static long double sigmoid(long double z)
{
    long double e = expl(-fabsl(z));
    return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/* sigmoid(z) - 1/2 = expm1(z) / (2 * (expm1(z) + 2)), accurate for |z| < 1 */
static long double half_tanh_half(long double z)
{
    long double em = expm1l(z);
    return em / (2 * (em + 2));
}

/* A value as an unevaluated sum hi + lo: the long double result and (where tracked) its rounding
   error. The error matters where a tiny part, log1p(exp(-|x|)) at |x| > 40, is absorbed and hi
   then sits exactly halfway between two values of the dtype. */
typedef struct {
    long double hi, lo;
} pair;

static pair just(long double v)
{
    pair r;
    r.hi = v;
    r.lo = 0;
    return r;
}

static pair two_sum(long double a, long double b) /* Knuth: hi + lo == a + b exactly */
{
    pair r;
    long double bb;
    r.hi = a + b;
    bb = r.hi - a;
    r.lo = (a - (r.hi - bb)) + (b - bb);
    return r;
}

static pair pair_mul(pair a, long double m) /* fmal gives the product's exact error */
{
    pair r;
    r.hi = a.hi * m;
    r.lo = fmal(a.hi, m, -r.hi) + a.lo * m;
    return r;
}

static pair pair_div(pair a, long double d) /* fmal gives the exact remainder */
{
    pair r;
    r.hi = a.hi / d;
    r.lo = (fmal(-r.hi, d, a.hi) + a.lo) / d;
    return r;
}

typedef struct {
    pair loss, grad_input, grad_target;
} element;

/* x, y in [0, 1] (checked); eps = EPSILON in the dtype */
static element bce_element(long double x, long double y, long double g, long double eps)
{
    element r;
    long double a = -max_nan(log1pl(-x), -100), b = -max_nan(logl(x), -100); /* both >= 0 */
    long double exact = (1 - y) * a + y * b;
    long double den = max_nan((1 - x) * x, eps), logit;
    r.loss = just(exact == 0 ? (y - 1) * -a - y * -b : exact); /* PyTorch's order for the sign of a zero */
    r.grad_input = just(g * (x - y) / den);
    logit = x >= 0.25L && x <= 0.75L ? log1pl((2 * x - 1) / (1 - x)) : logl(x) - log1pl(-x);
    r.grad_target = just(-logit * g);
    return r;
}

/* has_p: pos_weight given (p is its element) */
static element logits_element(long double x, long double y, int has_p, long double p, long double g)
{
    element r;
    int finite = isfinite(x) && isfinite(y) && (!has_p || isfinite(p));
    int small = fabsl(x) < 1;
    long double pe = has_p ? p : 1, lw = has_p ? (p - 1) * y + 1 : 1;
    long double literal = (1 - y) * x - log_sigmoid(x) * lw; /* PyTorch's formula, IEEE arithmetic */
    long double sig = sigmoid(x), h = small ? half_tanh_half(x) : 0;
    long double tiny = log1pl(expl(-fabsl(x))); /* softplus(z) = max(z, 0) + tiny for z = +-x */
    /* (1 - y) * softplus(x) + p * y * softplus(-x), its tiny part added last, with the error kept */
    r.loss = finite ? two_sum((1 - y) * max_nan(x, 0) + pe * y * max_nan(-x, 0), ((1 - y) + pe * y) * tiny)
                    : just(literal);
    if (r.loss.hi == 0 && literal == 0) r.loss = just(literal);
    if (!has_p) {
        long double exact = small ? (0.5L - y) + h : (1 - y) * sig - y * sigmoid(-x);
        r.grad_input = pair_mul(just(finite ? exact : sig - y), g);
        r.grad_target = pair_mul(just(-x), g);
    } else {
        long double t = p * y;
        long double exact = small ? (1 - y - t) / 2 + (1 - y + t) * h : (1 - y) * sig - t * sigmoid(-x);
        r.grad_input = pair_mul(just(finite ? exact : (t + 1 - y) * sig - t), g);
        if (isfinite(x) && isfinite(p)) /* p * softplus(-x) - softplus(x) */
            r.grad_target = pair_mul(two_sum(p * max_nan(-x, 0) - max_nan(x, 0), (p - 1) * tiny), g);
        else
            r.grad_target = pair_mul(just(log_sigmoid(-x) - p * log_sigmoid(x)), g);
    }
    return r;
}

/* Sum of n pairs: Neumaier's compensated sum of every hi and lo (non-finite: the plain IEEE sum) */
static pair sum_terms(const pair *t, size_t n)
{
    long double s = 0, c = 0, u, v;
    size_t i, k;
    int finite = 1;
    for (i = 0; i < n; i++) finite &= isfinite(t[i].hi) != 0;
    if (!finite) {
        for (i = 0; i < n; i++) s += t[i].hi;
        return just(s);
    }
    for (i = 0; i < 2 * n; i++) {
        k = i / 2;
        v = i % 2 ? t[k].lo : t[k].hi;
        u = s + v;
        c += fabsl(s) >= fabsl(v) ? (s - u) + v : (v - u) + s;
        s = u;
    }
    return two_sum(s, c);
}

/* ------------------------------------------------------------------------------------------ */
/* Writing JSON */

static void write_json_string(const char *s, size_t len)
{
    size_t i;
    putchar('"');
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { putchar('\\'); putchar(c); }
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void write_tensor(const char *name, int dt, const size_t *shape, size_t ndim, const pair *v, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    int k, width = DTYPES[dt].hex_digits;
    printf("\"%s\":{\"dtype\":\"%s\",\"shape\":[", name, DTYPES[dt].name);
    for (i = 0; i < ndim; i++) printf(i ? ",%lu" : "%lu", (unsigned long)shape[i]);
    fputs("],\"hex\":\"", stdout);
    for (i = 0; i < n; i++) {
        uint64_t bits = to_bits_lo(dt, v[i].hi, v[i].lo);
        for (k = width - 1; k >= 0; k--) putchar(digits[(bits >> (4 * k)) & 15]);
    }
    fputs("\"}", stdout);
}

static void reply_start(const jvalue *id)
{
    fputs("{\"type\":\"result\",\"id\":", stdout);
    write_json_string(id->str, id->len);
}

static void reply_end(void)
{
    fputs("}\n", stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "bce_port: cannot write to stdout\n");
        exit(2);
    }
}

static void reply_error(const jvalue *id, const char *kind, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    reply_start(id);
    printf(",\"error\":\"%s\",\"message\":", kind);
    write_json_string(msg, strlen(msg));
    reply_end();
}

static void reply_skipped(const jvalue *id, const char *reason)
{
    reply_start(id);
    fputs(",\"skipped\":", stdout);
    write_json_string(reason, strlen(reason));
    reply_end();
}

/* ------------------------------------------------------------------------------------------ */
/* One case */

enum { R_NONE, R_MEAN, R_SUM };

static void run_case(const jvalue *c)
{
    const jvalue *id = require(c, "id", J_STRING, "case");
    const jvalue *jloss, *jdtype, *jred, *inputs;
    int dt, bce, red, has_w, has_p, has_g;
    tensor x = {0}, y = {0}, w = {0}, p = {0}, g = {0};
    size_t i, n, *woff = NULL, *poff = NULL;
    long double eps = 0, scale;
    pair *loss, *gi, *gt;
    char s1[256], s2[256];

    current_case = id->str;
    jloss = require(c, "loss", J_STRING, "case");
    jdtype = require(c, "dtype", J_STRING, "case");
    jred = require(c, "reduction", J_STRING, "case");
    inputs = require(c, "inputs", J_OBJECT, "case");
    dt = dtype_index(jdtype->str);
    bce = !strcmp(jloss->str, "bce");
    if (!bce && strcmp(jloss->str, "bce_with_logits")) {
        reply_skipped(id, "this port implements the losses bce and bce_with_logits only");
        current_case = NULL;
        return;
    }
    if (dt < 0) {
        reply_skipped(id, "this port implements float16, bfloat16, float32 and float64 only");
        current_case = NULL;
        return;
    }
    if (!strcmp(jred->str, "none")) red = R_NONE;
    else if (!strcmp(jred->str, "mean")) red = R_MEAN;
    else if (!strcmp(jred->str, "sum")) red = R_SUM;
    else fail("case.reduction is \"%s\", expected \"none\", \"mean\" or \"sum\"", jred->str);
    has_w = member(inputs, "weight") != NULL;
    has_p = member(inputs, "pos_weight") != NULL;
    has_g = member(inputs, "grad_output") != NULL;
    if (bce && has_p) fail("case.inputs.pos_weight is given, but pos_weight is a bce_with_logits argument");

    read_tensor(inputs, "input", dt, &x);
    read_tensor(inputs, "target", dt, &y);
    if (has_w) read_tensor(inputs, "weight", dt, &w);
    if (has_p) read_tensor(inputs, "pos_weight", dt, &p);
    if (has_g) read_tensor(inputs, "grad_output", dt, &g);
    n = x.count;

    /* the checks, in the contract's order; the first failure wins */
    shape_text(&x, s1, sizeof s1);
    if (x.ndim != y.ndim || (x.ndim && memcmp(x.shape, y.shape, x.ndim * sizeof *x.shape))) {
        shape_text(&y, s2, sizeof s2);
        reply_error(id, "shape_mismatch", "target shape %s differs from input shape %s", s2, s1);
        goto done;
    }
    if (has_w && !broadcasts_into(&w, &x)) {
        shape_text(&w, s2, sizeof s2);
        reply_error(id, "not_broadcastable", "weight of shape %s does not broadcast to %s", s2, s1);
        goto done;
    }
    if (has_p && !broadcasts_into(&p, &x)) {
        shape_text(&p, s2, sizeof s2);
        reply_error(id, "not_broadcastable", "pos_weight of shape %s does not broadcast to %s", s2, s1);
        goto done;
    }
    if (has_g) {
        int ok = 1;
        if (red == R_NONE) {
            ok = g.ndim == x.ndim && (!x.ndim || !memcmp(g.shape, x.shape, x.ndim * sizeof *x.shape));
        } else {
            for (i = 0; i < g.ndim; i++) ok &= g.shape[i] == 1;
        }
        if (!ok) {
            shape_text(&g, s2, sizeof s2);
            reply_error(id, "not_broadcastable", "grad_output of shape %s does not fit reduction \"%s\" with input shape %s",
                        s2, jred->str, s1);
            goto done;
        }
    }
    if (bce) {
        for (i = 0; i < n; i++) {
            if (!(x.v[i] >= 0 && x.v[i] <= 1)) { /* NaN is out of range */
                reply_error(id, "input_out_of_range", "input[%lu] = %.17Lg is not in [0, 1]", (unsigned long)i, x.v[i]);
                goto done;
            }
            if (!(y.v[i] >= 0 && y.v[i] <= 1)) {
                reply_error(id, "target_out_of_range", "target[%lu] = %.17Lg is not in [0, 1]", (unsigned long)i, y.v[i]);
                goto done;
            }
        }
        /* Loss.cpp's `constexpr float EPSILON = 1e-12`, as scalar_t(EPSILON): 1e-12 rounded to
           float32, then to the dtype (0 in float16; 9.999999960041972e-13 in float64) */
        eps = from_bits(dt, to_bits(dt, from_bits(F32, to_bits(F32, 1e-12))));
    }

    if (has_w) woff = broadcast_offsets(&w, &x);
    if (has_p) poff = broadcast_offsets(&p, &x);
    loss = xmalloc(mul_size(n, sizeof *loss, "the loss"));
    gi = xmalloc(mul_size(n, sizeof *gi, "the gradient"));
    gt = xmalloc(mul_size(n, sizeof *gt, "the gradient"));
    scale = (long double)n;
    for (i = 0; i < n; i++) {
        long double gv = !has_g ? 1 : red == R_NONE ? g.v[i] : g.v[0];
        element e = bce ? bce_element(x.v[i], y.v[i], gv, eps)
                        : logits_element(x.v[i], y.v[i], has_p, has_p ? p.v[poff[i]] : 0, gv);
        if (has_w) {
            long double wv = w.v[woff[i]];
            e.loss = pair_mul(e.loss, wv);
            e.grad_input = pair_mul(e.grad_input, wv);
            e.grad_target = pair_mul(e.grad_target, wv);
        }
        if (red == R_MEAN) {
            e.grad_input = pair_div(e.grad_input, scale);
            e.grad_target = pair_div(e.grad_target, scale);
        }
        loss[i] = e.loss;
        gi[i] = e.grad_input;
        gt[i] = e.grad_target;
    }

    reply_start(id);
    fputs(",\"outputs\":{", stdout);
    if (red == R_NONE) {
        write_tensor("loss", dt, x.shape, x.ndim, loss, n);
    } else {
        pair total = sum_terms(loss, n);
        if (red == R_MEAN) total = n ? pair_div(total, scale) : just(NAN); /* an empty mean is NaN */
        write_tensor("loss", dt, NULL, 0, &total, 1);
    }
    putchar(',');
    write_tensor("grad_input", dt, x.shape, x.ndim, gi, n);
    putchar(',');
    write_tensor("grad_target", dt, x.shape, x.ndim, gt, n);
    putchar('}');
    reply_end();
    free(loss);
    free(gi);
    free(gt);
done:
    free(woff);
    free(poff);
    tensor_free(&x);
    tensor_free(&y);
    tensor_free(&w);
    tensor_free(&p);
    tensor_free(&g);
    current_case = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* The protocol loop */

/* Reads one line of any length into *buf (without the '\n', NUL-terminated); returns 0 at end
   of input. getc, not fread: fread would wait for a full block that the runner never sends. */
static int read_line(char **buf, size_t *cap, size_t *len)
{
    int c = getc(stdin);
    *len = 0;
    if (c == EOF) {
        if (ferror(stdin)) {
            fprintf(stderr, "bce_port: cannot read stdin\n");
            exit(2);
        }
        return 0;
    }
    for (; c != EOF && c != '\n'; c = getc(stdin)) {
        if (*len + 1 >= *cap) {
            *cap = *cap ? mul_size(*cap, 2, "a line") : 1 << 16;
            *buf = xrealloc(*buf, *cap);
        }
        (*buf)[(*len)++] = (char)c;
    }
    if (ferror(stdin)) {
        fprintf(stderr, "bce_port: cannot read stdin\n");
        exit(2);
    }
    if (!*cap) *buf = xrealloc(*buf, *cap = 16);
    (*buf)[*len] = '\0';
    return 1;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0, len;
    unsigned long lineno = 0;
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    while (read_line(&line, &cap, &len)) {
        jvalue msg;
        const jvalue *type;
        size_t k;
        lineno++;
        for (k = 0; k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'); k++) {}
        if (k == len) continue; /* blank line: not sent by the runner, tolerated */
        parse_line(line, len, &msg);
        if (msg.type != J_OBJECT) fail("line %lu is %s, expected a JSON object", lineno, type_name(msg.type));
        type = member(&msg, "type");
        if (!type || type->type != J_STRING) fail("line %lu has no string \"type\"", lineno);
        if (!strcmp(type->str, "start")) {
            const jvalue *v = member(&msg, "protocol_version");
            if (!v || v->type != J_NUMBER)
                fail("line %lu: the \"start\" message has no number \"protocol_version\"", lineno);
            if (v->number != 1 && v->number != PROTOCOL_VERSION)
                fail("line %lu: the runner speaks protocol version %g; this port speaks versions 1 and %d", lineno, v->number,
                     PROTOCOL_VERSION);
            if (v->number == 1) /* version 1: losses and dtypes inside implementation */
                printf("{\"type\":\"started\",\"protocol_version\":1,\"implementation\":{\"name\":\"c_port\","
                       "\"language\":\"c\",\"version\":\"" PORT_VERSION " (long double: %d-bit significand)\","
                       "\"losses\":[\"bce\",\"bce_with_logits\"],"
                       "\"dtypes\":[\"float16\",\"bfloat16\",\"float32\",\"float64\"]}}\n",
                       LDBL_MANT_DIG);
            else /* version 2: it implements everything, PyTorch's argument checks included */
                printf("{\"type\":\"started\",\"protocol_version\":2,\"implementation\":{\"name\":\"c_port\","
                       "\"language\":\"c\",\"version\":\"" PORT_VERSION " (long double: %d-bit significand)\"},"
                       "\"capabilities\":{\"losses\":[\"bce\",\"bce_with_logits\"],"
                       "\"dtypes\":[\"float16\",\"bfloat16\",\"float32\",\"float64\"],"
                       "\"reductions\":[\"none\",\"mean\",\"sum\"],"
                       "\"outputs\":[\"loss\",\"grad_input\",\"grad_target\"],\"arguments\":[\"weight\",\"pos_weight\"],"
                       "\"errors\":[\"shape_mismatch\",\"not_broadcastable\",\"input_out_of_range\",\"target_out_of_range\"]}}\n",
                       LDBL_MANT_DIG);
            if (fflush(stdout) != 0) { fprintf(stderr, "bce_port: cannot write to stdout\n"); return 2; }
        } else if (!strcmp(type->str, "run")) {
            const jvalue *c = member(&msg, "case");
            if (!c || c->type != J_OBJECT) fail("line %lu: a \"run\" message needs an object \"case\"", lineno);
            run_case(c);
        } else if (!strcmp(type->str, "stop")) {
            jfree(&msg);
            free(line);
            return 0;
        } else {
            fail("line %lu: unknown message type \"%s\"", lineno, type->str);
        }
        jfree(&msg);
    }
    free(line);
    return 0;
}
