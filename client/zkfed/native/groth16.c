/*
 * zkfed._groth16: a multi-threaded BN254 Groth16 prover for snarkjs .zkey files.
 *
 * It computes exactly what snarkjs's groth16_prove.js computes (the QAP evaluations from the
 * zkey's coefficient section, the quotient on the odd coset of the 2n-th roots of unity, and
 * five multi-scalar multiplications against the zkey's point sections), so its proofs verify
 * with the same verification keys and Solidity verifiers. The Python side (zkfed.proving_native)
 * parses the file layout, draws the blinding scalars r and s, and names what is wrong with a bad
 * zkey or witness; this file checks again that every region it reads lies inside the zkey, so it
 * stays memory-safe whatever it is given, and does the arithmetic.
 *
 * Representation: field elements are four little-endian 64-bit limbs in Montgomery form with
 * R = 2^256, which is the zkey's own "LEM" encoding of points, so point sections are used in
 * place. Scalars for the multi-scalar multiplications are plain (not Montgomery) integers, as
 * in the .wtns file. Affine points with both coordinates zero are the point at infinity (the
 * zkey's encoding of it).
 *
 * Parallelism: each multi-scalar multiplication (Pippenger, signed c-bit digits) splits its
 * windows among the threads; the three QAP transforms run side by side.
 *
 * ZKFED_NATIVE_PROFILE=1 in the environment prints each step's seconds to stderr.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* With ZKFED_NATIVE_PROFILE set: the seconds since `*last` on stderr, then `*last` = now. */
static void profile_step(const char *label, double *last) {
    if (!getenv("ZKFED_NATIVE_PROFILE")) return;
    const double t = seconds_now();
    fprintf(stderr, "%-10s %.3f\n", label, t - *last);
    *last = t;
}

typedef unsigned __int128 u128;
typedef struct { uint64_t v[4]; } fe;

/* ----------------------------------------------------------------------------------------- */
/* Prime fields: Fq (coordinates of G1 and G2) and Fr (scalars), Montgomery arithmetic.       */
/* Both moduli are below 2^254, so sums of two reduced elements fit in 256 bits and the       */
/* "no carry" CIOS multiplication is exact.                                                   */

/* Modular addition and subtraction without branches on x86-64 (add/adc, sub/sbb, cmov: the
 * baseline instruction set); the portable C in DEFINE_FIELD elsewhere. Inputs are reduced and
 * p < 2^254, so a + b never carries out of 256 bits. */
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_X86_ADD 1
static inline void mod_add_x86(fe *r, const fe *a, const fe *b, const fe *p) {
    uint64_t t0 = a->v[0], t1 = a->v[1], t2 = a->v[2], t3 = a->v[3], s0, s1, s2, s3;
    __asm__("addq %[b0], %[t0]\n\t"
            "adcq %[b1], %[t1]\n\t"
            "adcq %[b2], %[t2]\n\t"
            "adcq %[b3], %[t3]\n\t"
            "movq %[t0], %[s0]\n\t"
            "movq %[t1], %[s1]\n\t"
            "movq %[t2], %[s2]\n\t"
            "movq %[t3], %[s3]\n\t"
            "subq %[p0], %[s0]\n\t"
            "sbbq %[p1], %[s1]\n\t"
            "sbbq %[p2], %[s2]\n\t"
            "sbbq %[p3], %[s3]\n\t"
            "cmovcq %[t0], %[s0]\n\t" /* a borrow: a + b < p, keep it */
            "cmovcq %[t1], %[s1]\n\t"
            "cmovcq %[t2], %[s2]\n\t"
            "cmovcq %[t3], %[s3]\n\t"
            : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3),
              [s0] "=&r"(s0), [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3)
            : [b0] "m"(b->v[0]), [b1] "m"(b->v[1]), [b2] "m"(b->v[2]), [b3] "m"(b->v[3]),
              [p0] "m"(p->v[0]), [p1] "m"(p->v[1]), [p2] "m"(p->v[2]), [p3] "m"(p->v[3])
            : "cc");
    r->v[0] = s0;
    r->v[1] = s1;
    r->v[2] = s2;
    r->v[3] = s3;
}
static inline void mod_sub_x86(fe *r, const fe *a, const fe *b, const fe *p) {
    uint64_t t0 = a->v[0], t1 = a->v[1], t2 = a->v[2], t3 = a->v[3], s0, s1, s2, s3, m;
    __asm__("subq %[b0], %[t0]\n\t"
            "sbbq %[b1], %[t1]\n\t"
            "sbbq %[b2], %[t2]\n\t"
            "sbbq %[b3], %[t3]\n\t"
            "sbbq %[m], %[m]\n\t" /* all ones after a borrow */
            "movq %[t0], %[s0]\n\t"
            "movq %[t1], %[s1]\n\t"
            "movq %[t2], %[s2]\n\t"
            "movq %[t3], %[s3]\n\t"
            "addq %[p0], %[s0]\n\t"
            "adcq %[p1], %[s1]\n\t"
            "adcq %[p2], %[s2]\n\t"
            "adcq %[p3], %[s3]\n\t"
            "testq %[m], %[m]\n\t"
            "cmovzq %[t0], %[s0]\n\t" /* no borrow: a - b as it is */
            "cmovzq %[t1], %[s1]\n\t"
            "cmovzq %[t2], %[s2]\n\t"
            "cmovzq %[t3], %[s3]\n\t"
            : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3),
              [s0] "=&r"(s0), [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3), [m] "=&r"(m)
            : [b0] "m"(b->v[0]), [b1] "m"(b->v[1]), [b2] "m"(b->v[2]), [b3] "m"(b->v[3]),
              [p0] "m"(p->v[0]), [p1] "m"(p->v[1]), [p2] "m"(p->v[2]), [p3] "m"(p->v[3])
            : "cc");
    r->v[0] = s0;
    r->v[1] = s1;
    r->v[2] = s2;
    r->v[3] = s3;
}
#else
#define HAVE_X86_ADD 0
#define mod_add_x86(r, a, b, p) ((void)0)
#define mod_sub_x86(r, a, b, p) ((void)0)
#endif

/* Montgomery multiplication with mulx/adcx/adox (x86-64 with BMI2 and ADX): the CIOS loop of
 * the portable code below, one round per limb of b, with two independent carry chains (CF for
 * the high halves, OF for the low halves). The accumulator's five registers rotate by one each
 * round: the limb a round reduces to zero becomes the next round's (zero) top limb. The result
 * is below 2p; the caller subtracts p once if needed. Chosen at run time (`use_adx`). */
#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_ADX_PATH 1
#define MONT_ROUND(T0, T1, T2, T3, T4, B)                                                     \
    "xorl %%eax, %%eax\n\t"                                                                   \
    "movq " B ", %%rdx\n\t"                                                                   \
    "mulxq %[a0], %[lo], %[hi]\n\t"                                                           \
    "adoxq %[lo], %[" T0 "]\n\t"                                                              \
    "adcxq %[hi], %[" T1 "]\n\t"                                                              \
    "mulxq %[a1], %[lo], %[hi]\n\t"                                                           \
    "adoxq %[lo], %[" T1 "]\n\t"                                                              \
    "adcxq %[hi], %[" T2 "]\n\t"                                                              \
    "mulxq %[a2], %[lo], %[hi]\n\t"                                                           \
    "adoxq %[lo], %[" T2 "]\n\t"                                                              \
    "adcxq %[hi], %[" T3 "]\n\t"                                                              \
    "mulxq %[a3], %[lo], %[hi]\n\t"                                                           \
    "adoxq %[lo], %[" T3 "]\n\t"                                                              \
    "adcxq %[hi], %[" T4 "]\n\t"                                                              \
    "adoxq %%rax, %[" T4 "]\n\t"                                                              \
    "movq %[" T0 "], %%rdx\n\t"                                                               \
    "imulq %[inv], %%rdx\n\t"                                                                 \
    "xorl %%eax, %%eax\n\t"                                                                   \
    "mulxq %[p0], %[lo], %[hi]\n\t"                                                           \
    "adoxq %[lo], %[" T0 "]\n\t"                                                              \
    "adcxq %[hi], %[" T1 "]\n\t"                                                              \
    "mulxq %[p1], %[lo], %[hi]\n\t"                                                           \
    "adoxq %[lo], %[" T1 "]\n\t"                                                              \
    "adcxq %[hi], %[" T2 "]\n\t"                                                              \
    "mulxq %[p2], %[lo], %[hi]\n\t"                                                           \
    "adoxq %[lo], %[" T2 "]\n\t"                                                              \
    "adcxq %[hi], %[" T3 "]\n\t"                                                              \
    "mulxq %[p3], %[lo], %[hi]\n\t"                                                           \
    "adoxq %[lo], %[" T3 "]\n\t"                                                              \
    "adcxq %[hi], %[" T4 "]\n\t"                                                              \
    "adoxq %%rax, %[" T4 "]\n\t"

static inline void mont_mul_adx(fe *r, const fe *a, const fe *b, const fe *p,
                                const uint64_t *inv) {
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, lo, hi;
    __asm__(MONT_ROUND("t0", "t1", "t2", "t3", "t4", "%[b0]")
            MONT_ROUND("t1", "t2", "t3", "t4", "t0", "%[b1]")
            MONT_ROUND("t2", "t3", "t4", "t0", "t1", "%[b2]")
            MONT_ROUND("t3", "t4", "t0", "t1", "t2", "%[b3]")
            : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4),
              [lo] "=&r"(lo), [hi] "=&r"(hi)
            : [a0] "m"(a->v[0]), [a1] "m"(a->v[1]), [a2] "m"(a->v[2]), [a3] "m"(a->v[3]),
              [b0] "m"(b->v[0]), [b1] "m"(b->v[1]), [b2] "m"(b->v[2]), [b3] "m"(b->v[3]),
              [p0] "m"(p->v[0]), [p1] "m"(p->v[1]), [p2] "m"(p->v[2]), [p3] "m"(p->v[3]),
              [inv] "m"(*inv)
            : "rax", "rdx", "cc");
    r->v[0] = t4;
    r->v[1] = t0;
    r->v[2] = t1;
    r->v[3] = t2;
}
#define MONT_MUL_ADX mont_mul_adx
#else
#define HAVE_ADX_PATH 0
#define MONT_MUL_ADX(r, a, b, p, inv) ((void)0)
#endif

/* 1 when this CPU has BMI2 and ADX (set when the module loads; `_groth16.use_adx` changes it). */
static int use_adx = 0;

#define DEFINE_FIELD(F, P0, P1, P2, P3, INV, O0, O1, O2, O3, S0, S1, S2, S3)                   \
    static const fe F##_p = {{P0, P1, P2, P3}};                                               \
    static const fe F##_one = {{O0, O1, O2, O3}};                                             \
    static const fe F##_r2 = {{S0, S1, S2, S3}};                                              \
    static inline int F##_geq_p(const fe *a) {                                                \
        for (int i = 3; i >= 0; i--) {                                                        \
            if (a->v[i] != F##_p.v[i]) return a->v[i] > F##_p.v[i];                           \
        }                                                                                     \
        return 1;                                                                             \
    }                                                                                         \
    static inline void F##_sub_p(fe *a) {                                                     \
        uint64_t borrow = 0;                                                                  \
        for (int i = 0; i < 4; i++) {                                                         \
            u128 d = (u128)a->v[i] - F##_p.v[i] - borrow;                                     \
            a->v[i] = (uint64_t)d;                                                            \
            borrow = (uint64_t)(d >> 64) & 1;                                                 \
        }                                                                                     \
    }                                                                                         \
    static inline void F##_add(fe *r, const fe *a, const fe *b) {                             \
        if (HAVE_X86_ADD) {                                                                   \
            mod_add_x86(r, a, b, &F##_p);                                                     \
            return;                                                                           \
        }                                                                                     \
        uint64_t carry = 0;                                                                   \
        for (int i = 0; i < 4; i++) {                                                         \
            u128 s = (u128)a->v[i] + b->v[i] + carry;                                         \
            r->v[i] = (uint64_t)s;                                                            \
            carry = (uint64_t)(s >> 64);                                                      \
        }                                                                                     \
        if (F##_geq_p(r)) F##_sub_p(r);                                                       \
    }                                                                                         \
    static inline void F##_sub(fe *r, const fe *a, const fe *b) {                             \
        if (HAVE_X86_ADD) {                                                                   \
            mod_sub_x86(r, a, b, &F##_p);                                                     \
            return;                                                                           \
        }                                                                                     \
        uint64_t borrow = 0;                                                                  \
        for (int i = 0; i < 4; i++) {                                                         \
            u128 d = (u128)a->v[i] - b->v[i] - borrow;                                        \
            r->v[i] = (uint64_t)d;                                                            \
            borrow = (uint64_t)(d >> 64) & 1;                                                 \
        }                                                                                     \
        if (borrow) {                                                                         \
            uint64_t carry = 0;                                                               \
            for (int i = 0; i < 4; i++) {                                                     \
                u128 s = (u128)r->v[i] + F##_p.v[i] + carry;                                  \
                r->v[i] = (uint64_t)s;                                                        \
                carry = (uint64_t)(s >> 64);                                                  \
            }                                                                                 \
        }                                                                                     \
    }                                                                                         \
    static inline void F##_dbl(fe *r, const fe *a) { F##_add(r, a, a); }                      \
    static inline void F##_neg(fe *r, const fe *a) {                                          \
        static const fe zero = {{0, 0, 0, 0}};                                                \
        F##_sub(r, &zero, a);                                                                 \
    }                                                                                         \
    static const uint64_t F##_inv_word = INV;                                                 \
    static inline void F##_mul(fe *r, const fe *a, const fe *b) {                             \
        if (HAVE_ADX_PATH && use_adx) {                                                       \
            MONT_MUL_ADX(r, a, b, &F##_p, &F##_inv_word);                                     \
            if (F##_geq_p(r)) F##_sub_p(r);                                                   \
            return;                                                                           \
        }                                                                                     \
        uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;                                              \
        for (int i = 0; i < 4; i++) {                                                         \
            const uint64_t bi = b->v[i];                                                      \
            u128 x = (u128)a->v[0] * bi + t0;                                                 \
            uint64_t A = (uint64_t)(x >> 64);                                                 \
            t0 = (uint64_t)x;                                                                 \
            const uint64_t m = t0 * (INV);                                                    \
            u128 y = (u128)m * F##_p.v[0] + t0;                                               \
            uint64_t C = (uint64_t)(y >> 64);                                                 \
            x = (u128)a->v[1] * bi + t1 + A;                                                  \
            A = (uint64_t)(x >> 64);                                                          \
            y = (u128)m * F##_p.v[1] + (uint64_t)x + C;                                       \
            C = (uint64_t)(y >> 64);                                                          \
            t0 = (uint64_t)y;                                                                 \
            x = (u128)a->v[2] * bi + t2 + A;                                                  \
            A = (uint64_t)(x >> 64);                                                          \
            y = (u128)m * F##_p.v[2] + (uint64_t)x + C;                                       \
            C = (uint64_t)(y >> 64);                                                          \
            t1 = (uint64_t)y;                                                                 \
            x = (u128)a->v[3] * bi + t3 + A;                                                  \
            A = (uint64_t)(x >> 64);                                                          \
            y = (u128)m * F##_p.v[3] + (uint64_t)x + C;                                       \
            C = (uint64_t)(y >> 64);                                                          \
            t2 = (uint64_t)y;                                                                 \
            t3 = C + A;                                                                       \
        }                                                                                     \
        r->v[0] = t0; r->v[1] = t1; r->v[2] = t2; r->v[3] = t3;                               \
        if (F##_geq_p(r)) F##_sub_p(r);                                                       \
    }                                                                                         \
    static inline void F##_sqr(fe *r, const fe *a) { F##_mul(r, a, a); }                      \
    static inline int F##_is_zero(const fe *a) {                                              \
        return (a->v[0] | a->v[1] | a->v[2] | a->v[3]) == 0;                                  \
    }                                                                                         \
    static inline void F##_to_mont(fe *r, const fe *a) { F##_mul(r, a, &F##_r2); }            \
    static inline void F##_from_mont(fe *r, const fe *a) {                                    \
        static const fe plain_one = {{1, 0, 0, 0}};                                           \
        F##_mul(r, a, &plain_one);                                                            \
    }                                                                                         \
    /* a^(p-2): the inverse of a nonzero element (Fermat). */                                 \
    static void F##_inv(fe *r, const fe *a) {                                                 \
        fe e = F##_p;                                                                         \
        e.v[0] -= 2; /* p is odd and > 2: no borrow */                                        \
        fe acc = F##_one, base = *a;                                                          \
        for (int i = 0; i < 4; i++) {                                                         \
            for (int bit = 0; bit < 64; bit++) {                                              \
                if ((e.v[i] >> bit) & 1) F##_mul(&acc, &acc, &base);                          \
                F##_sqr(&base, &base);                                                        \
            }                                                                                 \
        }                                                                                     \
        *r = acc;                                                                             \
    }

DEFINE_FIELD(fq, 0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL,
             0x30644e72e131a029ULL, 0x87d20782e4866389ULL,
             0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL,
             0x0e0a77c19a07df2fULL,
             0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL, 0x47ab1eff0a417ff6ULL,
             0x06d89f71cab8351fULL)
DEFINE_FIELD(fr, 0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL,
             0x30644e72e131a029ULL, 0xc2e1f593efffffffULL,
             0xac96341c4ffffffbULL, 0x36fc76959f60cd29ULL, 0x666ea36f7879462eULL,
             0x0e0a77c19a07df2fULL,
             0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL, 0x8c49833d53bb8085ULL,
             0x0216d0b17f4e44a5ULL)

/* Fq2 = Fq[u] / (u^2 + 1), the coordinate field of G2. */
typedef struct { fe c0, c1; } fe2;

static inline void fq2_add(fe2 *r, const fe2 *a, const fe2 *b) {
    fq_add(&r->c0, &a->c0, &b->c0);
    fq_add(&r->c1, &a->c1, &b->c1);
}
static inline void fq2_sub(fe2 *r, const fe2 *a, const fe2 *b) {
    fq_sub(&r->c0, &a->c0, &b->c0);
    fq_sub(&r->c1, &a->c1, &b->c1);
}
static inline void fq2_dbl(fe2 *r, const fe2 *a) { fq2_add(r, a, a); }
static inline void fq2_neg(fe2 *r, const fe2 *a) {
    fq_neg(&r->c0, &a->c0);
    fq_neg(&r->c1, &a->c1);
}
static inline void fq2_mul(fe2 *r, const fe2 *a, const fe2 *b) {
    fe t0, t1, s0, s1, m;
    fq_mul(&t0, &a->c0, &b->c0);
    fq_mul(&t1, &a->c1, &b->c1);
    fq_add(&s0, &a->c0, &a->c1);
    fq_add(&s1, &b->c0, &b->c1);
    fq_mul(&m, &s0, &s1);
    fq_sub(&r->c0, &t0, &t1);
    fq_sub(&m, &m, &t0);
    fq_sub(&r->c1, &m, &t1);
}
static inline void fq2_sqr(fe2 *r, const fe2 *a) {
    fe s, d, p;
    fq_add(&s, &a->c0, &a->c1);
    fq_sub(&d, &a->c0, &a->c1);
    fq_mul(&p, &a->c0, &a->c1);
    fq_mul(&r->c0, &s, &d);
    fq_dbl(&r->c1, &p);
}
static inline int fq2_is_zero(const fe2 *a) { return fq_is_zero(&a->c0) && fq_is_zero(&a->c1); }
static void fq2_inv(fe2 *r, const fe2 *a) {
    /* 1 / (c0 + c1 u) = (c0 - c1 u) / (c0^2 + c1^2) */
    fe n0, n1, norm, inv;
    fq_sqr(&n0, &a->c0);
    fq_sqr(&n1, &a->c1);
    fq_add(&norm, &n0, &n1);
    fq_inv(&inv, &norm);
    fq_mul(&r->c0, &a->c0, &inv);
    fq_mul(&r->c1, &a->c1, &inv);
    fq_neg(&r->c1, &r->c1);
}

/* ----------------------------------------------------------------------------------------- */
/* Short Weierstrass curves y^2 = x^3 + b (a = 0) in Jacobian coordinates, generated for G1    */
/* over Fq and G2 over Fq2. Infinity is Z = 0.                                                 */

#define DEFINE_CURVE(G, E, F)                                                                 \
    typedef struct { E x, y; } G##_affine;                                                    \
    typedef struct { E x, y, z; } G##_jac;                                                    \
    static inline int G##_affine_is_inf(const G##_affine *p) {                                \
        return F##_is_zero(&p->x) && F##_is_zero(&p->y);                                      \
    }                                                                                         \
    static inline void G##_set_inf(G##_jac *p) { memset(p, 0, sizeof(*p)); }                 \
    static inline int G##_is_inf(const G##_jac *p) { return F##_is_zero(&p->z); }             \
    /* dbl-2009-l */                                                                          \
    static void G##_double(G##_jac *r, const G##_jac *p) {                                    \
        if (G##_is_inf(p)) { *r = *p; return; }                                               \
        E a, b, c, d, e, f, t;                                                                \
        F##_sqr(&a, &p->x);                                                                   \
        F##_sqr(&b, &p->y);                                                                   \
        F##_sqr(&c, &b);                                                                      \
        F##_add(&t, &p->x, &b);                                                               \
        F##_sqr(&t, &t);                                                                      \
        F##_sub(&t, &t, &a);                                                                  \
        F##_sub(&t, &t, &c);                                                                  \
        F##_dbl(&d, &t);                                                                      \
        F##_dbl(&e, &a);                                                                      \
        F##_add(&e, &e, &a);                                                                  \
        F##_sqr(&f, &e);                                                                      \
        E z3;                                                                                 \
        F##_mul(&z3, &p->y, &p->z);                                                           \
        F##_dbl(&r->z, &z3);                                                                  \
        F##_dbl(&t, &d);                                                                      \
        F##_sub(&r->x, &f, &t);                                                                \
        F##_sub(&t, &d, &r->x);                                                               \
        F##_mul(&t, &e, &t);                                                                  \
        F##_dbl(&c, &c);                                                                      \
        F##_dbl(&c, &c);                                                                      \
        F##_dbl(&c, &c);                                                                      \
        F##_sub(&r->y, &t, &c);                                                               \
    }                                                                                         \
    /* madd-2007-bl: r = p + q with q affine (r may alias p) */                              \
    static void G##_add_affine(G##_jac *r, const G##_jac *p, const G##_affine *q) {           \
        if (G##_affine_is_inf(q)) { *r = *p; return; }                                        \
        if (G##_is_inf(p)) {                                                                  \
            r->x = q->x; r->y = q->y; r->z = F##_one_elem();                                  \
            return;                                                                           \
        }                                                                                     \
        E z1z1, u2, s2, h, hh, i, j, rr, v, t;                                                \
        F##_sqr(&z1z1, &p->z);                                                                \
        F##_mul(&u2, &q->x, &z1z1);                                                           \
        F##_mul(&s2, &q->y, &p->z);                                                           \
        F##_mul(&s2, &s2, &z1z1);                                                             \
        F##_sub(&h, &u2, &p->x);                                                              \
        F##_sub(&rr, &s2, &p->y);                                                             \
        if (F##_is_zero(&h)) {                                                                \
            if (F##_is_zero(&rr)) { G##_double(r, p); } else { G##_set_inf(r); }              \
            return;                                                                           \
        }                                                                                     \
        F##_dbl(&rr, &rr);                                                                    \
        F##_sqr(&hh, &h);                                                                     \
        F##_dbl(&i, &hh);                                                                     \
        F##_dbl(&i, &i);                                                                      \
        F##_mul(&j, &h, &i);                                                                  \
        F##_mul(&v, &p->x, &i);                                                               \
        E x3, y3, z3;                                                                         \
        F##_sqr(&x3, &rr);                                                                    \
        F##_sub(&x3, &x3, &j);                                                                \
        F##_sub(&x3, &x3, &v);                                                                \
        F##_sub(&x3, &x3, &v);                                                                \
        F##_sub(&t, &v, &x3);                                                                 \
        F##_mul(&y3, &rr, &t);                                                                \
        F##_mul(&t, &p->y, &j);                                                               \
        F##_dbl(&t, &t);                                                                      \
        F##_sub(&y3, &y3, &t);                                                                \
        F##_add(&z3, &p->z, &h);                                                              \
        F##_sqr(&z3, &z3);                                                                    \
        F##_sub(&z3, &z3, &z1z1);                                                             \
        F##_sub(&z3, &z3, &hh);                                                               \
        r->x = x3; r->y = y3; r->z = z3;                                                      \
    }                                                                                         \
    static void G##_sub_affine(G##_jac *r, const G##_jac *p, const G##_affine *q) {           \
        G##_affine n = *q;                                                                    \
        if (!G##_affine_is_inf(q)) F##_neg(&n.y, &q->y);                                      \
        G##_add_affine(r, p, &n);                                                             \
    }                                                                                         \
    /* add-2007-bl: r = p + q (r may alias either) */                                        \
    static void G##_add(G##_jac *r, const G##_jac *p, const G##_jac *q) {                     \
        if (G##_is_inf(p)) { *r = *q; return; }                                               \
        if (G##_is_inf(q)) { *r = *p; return; }                                               \
        E z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;                                      \
        F##_sqr(&z1z1, &p->z);                                                                \
        F##_sqr(&z2z2, &q->z);                                                                \
        F##_mul(&u1, &p->x, &z2z2);                                                           \
        F##_mul(&u2, &q->x, &z1z1);                                                           \
        F##_mul(&s1, &p->y, &q->z);                                                           \
        F##_mul(&s1, &s1, &z2z2);                                                             \
        F##_mul(&s2, &q->y, &p->z);                                                           \
        F##_mul(&s2, &s2, &z1z1);                                                             \
        F##_sub(&h, &u2, &u1);                                                                \
        F##_sub(&rr, &s2, &s1);                                                               \
        if (F##_is_zero(&h)) {                                                                \
            if (F##_is_zero(&rr)) { G##_double(r, p); } else { G##_set_inf(r); }              \
            return;                                                                           \
        }                                                                                     \
        F##_dbl(&rr, &rr);                                                                    \
        F##_dbl(&i, &h);                                                                      \
        F##_sqr(&i, &i);                                                                      \
        F##_mul(&j, &h, &i);                                                                  \
        F##_mul(&v, &u1, &i);                                                                 \
        E x3, y3, z3;                                                                         \
        F##_sqr(&x3, &rr);                                                                    \
        F##_sub(&x3, &x3, &j);                                                                \
        F##_sub(&x3, &x3, &v);                                                                \
        F##_sub(&x3, &x3, &v);                                                                \
        F##_sub(&t, &v, &x3);                                                                 \
        F##_mul(&y3, &rr, &t);                                                                \
        F##_mul(&t, &s1, &j);                                                                 \
        F##_dbl(&t, &t);                                                                      \
        F##_sub(&y3, &y3, &t);                                                                \
        F##_add(&z3, &p->z, &q->z);                                                           \
        F##_sqr(&z3, &z3);                                                                    \
        F##_sub(&z3, &z3, &z1z1);                                                             \
        F##_sub(&z3, &z3, &z2z2);                                                             \
        F##_mul(&z3, &z3, &h);                                                                \
        r->x = x3; r->y = y3; r->z = z3;                                                      \
    }                                                                                         \
    static void G##_from_affine(G##_jac *r, const G##_affine *p) {                            \
        G##_set_inf(r);                                                                       \
        G##_add_affine(r, r, p);                                                              \
    }                                                                                         \
    /* Affine coordinates, still in Montgomery form; infinity becomes (0, 0). */              \
    static void G##_to_affine(G##_affine *r, const G##_jac *p) {                              \
        if (G##_is_inf(p)) { memset(r, 0, sizeof(*r)); return; }                              \
        E zi, zi2, zi3;                                                                       \
        F##_inv(&zi, &p->z);                                                                  \
        F##_sqr(&zi2, &zi);                                                                   \
        F##_mul(&zi3, &zi2, &zi);                                                             \
        F##_mul(&r->x, &p->x, &zi2);                                                          \
        F##_mul(&r->y, &p->y, &zi3);                                                          \
    }                                                                                         \
    /* r = k·p for a plain scalar k (double and add; used a few times per proof). */         \
    static void G##_mul_scalar(G##_jac *r, const G##_jac *p, const fe *k) {                   \
        G##_jac acc;                                                                          \
        G##_set_inf(&acc);                                                                    \
        for (int i = 3; i >= 0; i--) {                                                        \
            for (int bit = 63; bit >= 0; bit--) {                                             \
                G##_double(&acc, &acc);                                                       \
                if ((k->v[i] >> bit) & 1) G##_add(&acc, &acc, p);                             \
            }                                                                                 \
        }                                                                                     \
        *r = acc;                                                                             \
    }

static inline fe fq_one_elem(void) { return fq_one; }
static inline fe2 fq2_one_elem(void) {
    fe2 r = {fq_one, {{0, 0, 0, 0}}};
    return r;
}

DEFINE_CURVE(g1, fe, fq)
DEFINE_CURVE(g2, fe2, fq2)

/* ----------------------------------------------------------------------------------------- */
/* Multi-scalar multiplication: Pippenger with signed c-bit digits, windows split by thread.   */

typedef struct {
    int c;          /* window bits, at most 15 */
    int windows;    /* ceil(255 / c): the top digit never carries out */
    size_t n;
    int16_t *digit; /* windows * n, digit[k * n + i] in [-2^(c-1), 2^(c-1)] */
} digits_t;

/* The window minimising windows·(nonzero scalars + 2.8·buckets) point additions: one mixed
 * addition per nonzero digit, two full additions (≈1.4 mixed) per bucket in the reduction. */
static int window_bits(const fe *scalars, size_t n) {
    size_t nonzero = 0;
    for (size_t i = 0; i < n; i++) nonzero += !fr_is_zero(&scalars[i]);
    int best = 4;
    double best_cost = -1;
    for (int c = 4; c <= 15; c++) {
        const double windows = (255 + c - 1) / c;
        const double cost = windows * ((double)nonzero + 2.8 * (double)((size_t)1 << (c - 1)));
        if (best_cost < 0 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

static int make_digits(digits_t *d, const fe *scalars, size_t n) {
    const int c = window_bits(scalars, n);
    d->c = c;
    d->windows = (255 + c - 1) / c;
    d->n = n;
    d->digit = malloc(n * (size_t)d->windows * sizeof(int16_t));
    if (!d->digit) return -1;
    const int64_t full = (int64_t)1 << c, half = full >> 1, mask = full - 1;
    for (size_t i = 0; i < n; i++) {
        const uint64_t *s = scalars[i].v;
        int64_t carry = 0;
        for (int k = 0; k < d->windows; k++) {
            const int bit = k * c, limb = bit / 64, shift = bit % 64;
            uint64_t raw = 0;
            if (limb < 4) {
                raw = s[limb] >> shift;
                if (shift + c > 64 && limb + 1 < 4) raw |= s[limb + 1] << (64 - shift);
            }
            int64_t v = (int64_t)(raw & (uint64_t)mask) + carry;
            if (v > half) {
                v -= full;
                carry = 1;
            } else {
                carry = 0;
            }
            d->digit[(size_t)k * n + i] = (int16_t)v;
        }
    }
    return 0;
}

#define MAX_THREADS 64

/* `count` independent jobs, up to `threads` (at most MAX_THREADS) at a time; the calling thread
 * runs one of each batch, and a job whose thread cannot be started runs on the caller. */
static void run_jobs(void *(*fn)(void *), void **args, int count, int threads) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    for (int first = 0; first < count; first += threads) {
        pthread_t tid[MAX_THREADS];
        int started[MAX_THREADS] = {0};
        const int batch = count - first < threads ? count - first : threads;
        for (int t = 1; t < batch; t++) {
            started[t] = pthread_create(&tid[t], NULL, fn, args[first + t]) == 0;
            if (!started[t]) fn(args[first + t]);
        }
        fn(args[first]);
        for (int t = 1; t < batch; t++) {
            if (started[t]) pthread_join(tid[t], NULL);
        }
    }
}

#define DEFINE_MSM(G)                                                                         \
    typedef struct {                                                                          \
        const G##_affine *bases;                                                              \
        const digits_t *d;                                                                    \
        size_t offset; /* first scalar index used with bases[0] */                            \
        size_t n;                                                                             \
        int first_window, step;                                                               \
        G##_jac *window_sums; /* one per window */                                            \
        int failed;                                                                           \
    } G##_msm_job;                                                                            \
    static void *G##_msm_worker(void *arg) {                                                  \
        G##_msm_job *job = arg;                                                               \
        const digits_t *d = job->d;                                                           \
        const size_t nb = (size_t)1 << (d->c - 1);                                            \
        G##_jac *bucket = malloc(nb * sizeof(G##_jac));                                       \
        if (!bucket) { job->failed = 1; return NULL; }                                        \
        for (int k = job->first_window; k < d->windows; k += job->step) {                     \
            memset(bucket, 0, nb * sizeof(G##_jac));                                          \
            for (size_t i = 0; i < job->n; i++) {                                             \
                const int v = d->digit[(size_t)k * d->n + job->offset + i];                  \
                if (v > 0) G##_add_affine(&bucket[v - 1], &bucket[v - 1], &job->bases[i]);     \
                else if (v < 0) G##_sub_affine(&bucket[-v - 1], &bucket[-v - 1], &job->bases[i]); \
            }                                                                                 \
            G##_jac running, sum;                                                             \
            G##_set_inf(&running);                                                            \
            G##_set_inf(&sum);                                                                \
            for (size_t b = nb; b-- > 0;) {                                                   \
                G##_add(&running, &running, &bucket[b]);                                      \
                G##_add(&sum, &sum, &running);                                                \
            }                                                                                 \
            job->window_sums[k] = sum;                                                        \
        }                                                                                     \
        free(bucket);                                                                         \
        return NULL;                                                                          \
    }                                                                                         \
    /* Σ scalar[offset + i]·bases[i] for i < n. Returns 0, or -1 when out of memory. */       \
    static int G##_msm(G##_jac *out, const G##_affine *bases, const digits_t *d,              \
                       size_t offset, size_t n, int threads) {                                \
        G##_jac *sums = calloc((size_t)d->windows, sizeof(G##_jac));                          \
        G##_msm_job jobs[MAX_THREADS];                                                        \
        void *job_ptrs[MAX_THREADS];                                                          \
        if (!sums) return -1;                                                                 \
        if (threads < 1) threads = 1;                                                         \
        if (threads > MAX_THREADS) threads = MAX_THREADS;                                     \
        if (threads > d->windows) threads = d->windows;                                       \
        for (int t = 0; t < threads; t++) {                                                  \
            jobs[t] = (G##_msm_job){bases, d, offset, n, t, threads, sums, 0};                \
            job_ptrs[t] = &jobs[t];                                                           \
        }                                                                                     \
        run_jobs(G##_msm_worker, job_ptrs, threads, threads);                                 \
        int failed = 0;                                                                       \
        for (int t = 0; t < threads; t++) failed |= jobs[t].failed;                           \
        if (!failed) {                                                                        \
            G##_jac acc = sums[d->windows - 1];                                               \
            for (int k = d->windows - 2; k >= 0; k--) {                                       \
                for (int b = 0; b < d->c; b++) G##_double(&acc, &acc);                        \
                G##_add(&acc, &acc, &sums[k]);                                                \
            }                                                                                 \
            *out = acc;                                                                       \
        }                                                                                     \
        free(sums);                                                                           \
        return failed ? -1 : 0;                                                               \
    }

DEFINE_MSM(g1)
DEFINE_MSM(g2)

/* ----------------------------------------------------------------------------------------- */
/* Radix-2 number-theoretic transforms over Fr (Montgomery form), natural order in and out.    */

static void bit_reverse(fe *a, size_t n, int log_n) {
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        for (int b = 0; b < log_n; b++) j |= ((i >> b) & 1) << (log_n - 1 - b);
        if (i < j) {
            fe t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}

/* a[i] <- Σ_j a[j]·root^(i·j); root has order n. `tw` is scratch for n/2 twiddles. */
static void ntt(fe *a, size_t n, int log_n, const fe *root, fe *tw) {
    bit_reverse(a, n, log_n);
    tw[0] = fr_one;
    for (size_t i = 1; i < n / 2; i++) fr_mul(&tw[i], &tw[i - 1], root);
    for (size_t len = 2; len <= n; len <<= 1) {
        const size_t half = len >> 1, stride = n / len;
        for (size_t start = 0; start < n; start += len) {
            for (size_t k = 0; k < half; k++) {
                fe t;
                fr_mul(&t, &a[start + k + half], &tw[k * stride]);
                fe u = a[start + k];
                fr_add(&a[start + k], &u, &t);
                fr_sub(&a[start + k + half], &u, &t);
            }
        }
    }
}

/* Evaluations on the domain <ω> -> evaluations on the coset inc·<ω> (inc² = ω), as snarkjs:
 * ifft, multiply coefficient i by inc^i, fft. */
typedef struct {
    fe *a;
    size_t n;
    int log_n;
    fe omega, omega_inv, n_inv, inc;
    int failed;
} coset_job;

static void *coset_worker(void *arg) {
    coset_job *job = arg;
    fe *tw = malloc((job->n / 2 + 1) * sizeof(fe));
    if (!tw) { job->failed = 1; return NULL; }
    ntt(job->a, job->n, job->log_n, &job->omega_inv, tw);
    fe power = job->n_inv; /* folds the 1/n of the inverse transform into the shift */
    for (size_t i = 0; i < job->n; i++) {
        fr_mul(&job->a[i], &job->a[i], &power);
        fr_mul(&power, &power, &job->inc);
    }
    ntt(job->a, job->n, job->log_n, &job->omega, tw);
    free(tw);
    return NULL;
}

/* ----------------------------------------------------------------------------------------- */
/* The prover.                                                                                 */

typedef struct {
    const uint8_t *zkey;
    size_t zkey_len;
    size_t n_vars, n_public, domain;
    int log_domain;
    size_t off_alpha1, off_beta1, off_beta2, off_delta1, off_delta2;
    size_t off_coeffs, n_coeffs;
    size_t off_a, off_b1, off_b2, off_c, off_h;
    const fe *witness; /* plain, n_vars */
    fe r, s, neg_rs;   /* plain scalars */
    fe omega, inc;     /* plain */
    int threads;
} prove_args;

typedef struct {
    g1_affine a, c;
    g2_affine b;
} proof_out;

/* `size` bytes at `p` as an 8-byte aligned pointer: `p` itself, or a copy left in `*owned` (a
 * zkey's sections start wherever the file puts them). NULL when out of memory. */
static const void *aligned(const uint8_t *p, size_t size, void **owned) {
    if (((uintptr_t)p & 7) == 0) return p;
    *owned = malloc(size ? size : 1);
    if (*owned) memcpy(*owned, p, size);
    return *owned;
}

/* Returns 0, or -1 when out of memory. */
static int prove(const prove_args *in, proof_out *out) {
    const size_t n = in->domain;
    int rc = -1;
    fe *abc = calloc(3 * n, sizeof(fe));
    fe *h = NULL;
    digits_t dw = {0}, dh = {0};
    void *copies[5] = {NULL, NULL, NULL, NULL, NULL};
    double t_last = seconds_now();
    if (!abc) return -1;
    fe *A = abc, *B = abc + n, *C = abc + 2 * n;

    /* QAP evaluations: A and B from the coefficient section; snarkjs stores each coefficient
     * as coef·R² (plain), so coef_stored ·_mont w = coef·w in Montgomery form. */
    const uint8_t *coef = in->zkey + in->off_coeffs;
    for (size_t i = 0; i < in->n_coeffs; i++, coef += 12 + 32) {
        uint32_t matrix, row, signal;
        fe value, term;
        memcpy(&matrix, coef, 4);
        memcpy(&row, coef + 4, 4);
        memcpy(&signal, coef + 8, 4);
        memcpy(&value, coef + 12, 32);
        fr_mul(&term, &value, &in->witness[signal]);
        fe *target = matrix == 0 ? &A[row] : &B[row];
        fr_add(target, target, &term);
    }
    for (size_t i = 0; i < n; i++) fr_mul(&C[i], &A[i], &B[i]);
    profile_step("qap", &t_last);

    coset_job jobs[3];
    void *job_ptrs[3];
    fe omega, omega_inv, n_inv, inc, n_elem = {{(uint64_t)n, 0, 0, 0}};
    fr_to_mont(&omega, &in->omega);
    fr_inv(&omega_inv, &omega);
    fr_to_mont(&n_inv, &n_elem);
    fr_inv(&n_inv, &n_inv);
    fr_to_mont(&inc, &in->inc);
    for (int m = 0; m < 3; m++) {
        jobs[m] = (coset_job){abc + (size_t)m * n, n, in->log_domain, omega, omega_inv,
                              n_inv, inc, 0};
        job_ptrs[m] = &jobs[m];
    }
    run_jobs(coset_worker, job_ptrs, 3, in->threads);
    profile_step("fft", &t_last);
    if (jobs[0].failed || jobs[1].failed || jobs[2].failed) goto done;

    /* H scalars: A·B − C on the odd coset, out of Montgomery form. */
    h = malloc(n * sizeof(fe));
    if (!h) goto done;
    for (size_t i = 0; i < n; i++) {
        fe t;
        fr_mul(&t, &A[i], &B[i]);
        fr_sub(&t, &t, &C[i]);
        fr_from_mont(&h[i], &t);
    }
    free(abc);
    abc = NULL;

    if (make_digits(&dw, in->witness, in->n_vars) || make_digits(&dh, h, n))
        goto done;
    profile_step("digits", &t_last);

    g1_jac pa, pb1, pc, ph;
    g2_jac pb2;
    const size_t first_private = in->n_public + 1;
    const g1_affine *bases_a = aligned(in->zkey + in->off_a, in->n_vars * 64, &copies[0]);
    const g1_affine *bases_b1 = aligned(in->zkey + in->off_b1, in->n_vars * 64, &copies[1]);
    const g2_affine *bases_b2 = aligned(in->zkey + in->off_b2, in->n_vars * 128, &copies[2]);
    const g1_affine *bases_c =
        aligned(in->zkey + in->off_c, (in->n_vars - first_private) * 64, &copies[3]);
    const g1_affine *bases_h = aligned(in->zkey + in->off_h, n * 64, &copies[4]);
    if (!bases_a || !bases_b1 || !bases_b2 || !bases_c || !bases_h) goto done;
    if (g1_msm(&pa, bases_a, &dw, 0, in->n_vars, in->threads)) goto done;
    profile_step("msm a", &t_last);
    if (g1_msm(&pb1, bases_b1, &dw, 0, in->n_vars, in->threads)) goto done;
    profile_step("msm b1", &t_last);
    if (g2_msm(&pb2, bases_b2, &dw, 0, in->n_vars, in->threads)) goto done;
    profile_step("msm b2", &t_last);
    if (g1_msm(&pc, bases_c, &dw, first_private, in->n_vars - first_private, in->threads)) goto done;
    profile_step("msm c", &t_last);
    if (g1_msm(&ph, bases_h, &dh, 0, n, in->threads)) goto done;
    profile_step("msm h", &t_last);

    /* Blinding, as snarkjs: A = α + Σa + r·δ, B = β + Σb + s·δ, C = Σc + H + s·A + r·B1 − rs·δ */
    g1_jac alpha1, beta1, delta1, t1;
    g2_jac beta2, delta2, t2;
    g1_affine point1;
    g2_affine point2;
    memcpy(&point1, in->zkey + in->off_alpha1, sizeof(point1));
    g1_from_affine(&alpha1, &point1);
    memcpy(&point1, in->zkey + in->off_beta1, sizeof(point1));
    g1_from_affine(&beta1, &point1);
    memcpy(&point1, in->zkey + in->off_delta1, sizeof(point1));
    g1_from_affine(&delta1, &point1);
    memcpy(&point2, in->zkey + in->off_beta2, sizeof(point2));
    g2_from_affine(&beta2, &point2);
    memcpy(&point2, in->zkey + in->off_delta2, sizeof(point2));
    g2_from_affine(&delta2, &point2);

    g1_add(&pa, &pa, &alpha1);
    g1_mul_scalar(&t1, &delta1, &in->r);
    g1_add(&pa, &pa, &t1);

    g2_add(&pb2, &pb2, &beta2);
    g2_mul_scalar(&t2, &delta2, &in->s);
    g2_add(&pb2, &pb2, &t2);

    g1_add(&pb1, &pb1, &beta1);
    g1_mul_scalar(&t1, &delta1, &in->s);
    g1_add(&pb1, &pb1, &t1);

    g1_add(&pc, &pc, &ph);
    g1_mul_scalar(&t1, &pa, &in->s);
    g1_add(&pc, &pc, &t1);
    g1_mul_scalar(&t1, &pb1, &in->r);
    g1_add(&pc, &pc, &t1);
    g1_mul_scalar(&t1, &delta1, &in->neg_rs);
    g1_add(&pc, &pc, &t1);

    profile_step("blind", &t_last);
    g1_to_affine(&out->a, &pa);
    g2_to_affine(&out->b, &pb2);
    g1_to_affine(&out->c, &pc);
    rc = 0;
done:
    free(abc);
    free(h);
    free(dw.digit);
    free(dh.digit);
    for (int i = 0; i < 5; i++) free(copies[i]);
    return rc;
}

/* ----------------------------------------------------------------------------------------- */
/* Python bindings.                                                                            */

/* A base-field element (Montgomery form) as 32 big-endian bytes of its plain value. */
static void put_be(uint8_t *dst, const fe *mont) {
    fe plain;
    fq_from_mont(&plain, mont);
    for (int i = 0; i < 32; i++) dst[i] = (uint8_t)(plain.v[3 - i / 8] >> (8 * (7 - i % 8)));
}

/* An affine point as its big-endian words: x, y for G1; x.c0, x.c1, y.c0, y.c1 for G2. */
static void put_g1(uint8_t *dst, const g1_affine *p) {
    put_be(dst, &p->x);
    put_be(dst + 32, &p->y);
}

static void put_g2(uint8_t *dst, const g2_affine *p) {
    put_be(dst, &p->x.c0);
    put_be(dst + 32, &p->x.c1);
    put_be(dst + 64, &p->y.c0);
    put_be(dst + 96, &p->y.c1);
}

static int read_scalar(PyObject *obj, fe *out, const char *what) {
    /* A 32-byte little-endian plain scalar below r. */
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_SIMPLE) < 0) return -1;
    if (view.len != 32) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "%s must be 32 bytes", what);
        return -1;
    }
    memcpy(out, view.buf, 32);
    PyBuffer_Release(&view);
    if (fr_geq_p(out)) {
        PyErr_Format(PyExc_ValueError, "%s is not below the scalar field's modulus", what);
        return -1;
    }
    return 0;
}

/* Whether every region `prove` reads lies inside the zkey and every coefficient points inside
 * the circuit: the extension stays memory-safe whatever layout it is given. */
static int region_fits(size_t offset, size_t count, size_t size, size_t total) {
    return count <= (SIZE_MAX - offset) / (size ? size : 1) && offset + count * size <= total;
}

static int layout_fits(const prove_args *in) {
    const size_t len = in->zkey_len;
    if (in->log_domain < 1 || in->log_domain > 27 || in->domain != ((size_t)1 << in->log_domain))
        return 0;
    if (in->n_vars == 0 || in->n_vars > ((size_t)1 << 31) || in->n_public + 1 > in->n_vars)
        return 0;
    if (!region_fits(in->off_alpha1, 1, 64, len) || !region_fits(in->off_beta1, 1, 64, len) ||
        !region_fits(in->off_beta2, 1, 128, len) || !region_fits(in->off_delta1, 1, 64, len) ||
        !region_fits(in->off_delta2, 1, 128, len) ||
        !region_fits(in->off_coeffs, in->n_coeffs, 12 + 32, len) ||
        !region_fits(in->off_a, in->n_vars, 64, len) ||
        !region_fits(in->off_b1, in->n_vars, 64, len) ||
        !region_fits(in->off_b2, in->n_vars, 128, len) ||
        !region_fits(in->off_c, in->n_vars - in->n_public - 1, 64, len) ||
        !region_fits(in->off_h, in->domain, 64, len))
        return 0;
    const uint8_t *coef = in->zkey + in->off_coeffs;
    for (size_t i = 0; i < in->n_coeffs; i++, coef += 12 + 32) {
        uint32_t matrix, row, signal;
        memcpy(&matrix, coef, 4);
        memcpy(&row, coef + 4, 4);
        memcpy(&signal, coef + 8, 4);
        if (matrix > 1 || row >= in->domain || signal >= in->n_vars) return 0;
    }
    return 1;
}

static const char prove_doc[] =
    "prove(zkey, layout, witness, r, s, neg_rs, omega, inc, threads) -> bytes\n\n"
    "A Groth16 proof as 8 big-endian 32-byte words: A.x, A.y, B.x.c0, B.x.c1, B.y.c0, B.y.c1,\n"
    "C.x, C.y. `layout` holds the zkey offsets and sizes that zkfed.proving_native checks.";

static PyObject *py_prove(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer zkey, witness;
    PyObject *layout, *r_obj, *s_obj, *neg_rs_obj, *omega_obj, *inc_obj;
    int threads;
    if (!PyArg_ParseTuple(args, "y*O!y*OOOOOi", &zkey, &PyTuple_Type, &layout, &witness, &r_obj,
                          &s_obj, &neg_rs_obj, &omega_obj, &inc_obj, &threads))
        return NULL;
    PyObject *result = NULL;
    void *witness_copy = NULL;
    prove_args in = {0};
    size_t fields[16];
    if (PyTuple_GET_SIZE(layout) != 16) {
        PyErr_SetString(PyExc_ValueError, "layout must have 16 entries");
        goto out;
    }
    for (int i = 0; i < 16; i++) {
        fields[i] = PyLong_AsSize_t(PyTuple_GET_ITEM(layout, i));
        if (PyErr_Occurred()) goto out;
    }
    in.zkey = zkey.buf;
    in.zkey_len = (size_t)zkey.len;
    in.n_vars = fields[0];
    in.n_public = fields[1];
    in.domain = fields[2];
    in.off_alpha1 = fields[3];
    in.off_beta1 = fields[4];
    in.off_beta2 = fields[5];
    in.off_delta1 = fields[6];
    in.off_delta2 = fields[7];
    in.off_coeffs = fields[8];
    in.n_coeffs = fields[9];
    in.off_a = fields[10];
    in.off_b1 = fields[11];
    in.off_b2 = fields[12];
    in.off_c = fields[13];
    in.off_h = fields[14];
    in.log_domain = (int)fields[15];
    in.threads = threads;
    if (!layout_fits(&in)) {
        PyErr_SetString(PyExc_ValueError, "the zkey layout does not fit the zkey");
        goto out;
    }
    if ((size_t)witness.len != in.n_vars * 32) {
        PyErr_Format(PyExc_ValueError, "the witness has %zd bytes, the zkey needs %zu",
                     witness.len, in.n_vars * 32);
        goto out;
    }
    in.witness = aligned(witness.buf, (size_t)witness.len, &witness_copy);
    if (!in.witness) {
        PyErr_NoMemory();
        goto out;
    }
    for (size_t i = 0; i < in.n_vars; i++) {
        if (fr_geq_p(&in.witness[i])) {
            PyErr_Format(PyExc_ValueError, "witness value %zu is not below the scalar field's modulus", i);
            goto out;
        }
    }
    if (read_scalar(r_obj, &in.r, "r") || read_scalar(s_obj, &in.s, "s") ||
        read_scalar(neg_rs_obj, &in.neg_rs, "neg_rs") ||
        read_scalar(omega_obj, &in.omega, "omega") || read_scalar(inc_obj, &in.inc, "inc"))
        goto out;

    proof_out proof;
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = prove(&in, &proof);
    Py_END_ALLOW_THREADS
    if (rc) {
        PyErr_NoMemory();
        goto out;
    }
    uint8_t blob[256];
    put_g1(blob, &proof.a);
    put_g2(blob + 64, &proof.b);
    put_g1(blob + 192, &proof.c);
    result = PyBytes_FromStringAndSize((const char *)blob, 256);
out:
    free(witness_copy);
    PyBuffer_Release(&zkey);
    PyBuffer_Release(&witness);
    return result;
}

static const char msm_doc[] =
    "msm(group, bases, scalars, threads) -> bytes\n\n"
    "Σ scalar_i·base_i for zkey-encoded affine bases of G1 (group 1) or G2 (group 2) and\n"
    "32-byte little-endian plain scalars; the affine result in the zkey's encoding, out of\n"
    "Montgomery form, big-endian words (infinity is all zeros). For cross-checks in tests.";

static PyObject *py_msm(PyObject *self, PyObject *args) {
    (void)self;
    int group, threads;
    Py_buffer bases_view, scalars_view;
    if (!PyArg_ParseTuple(args, "iy*y*i", &group, &bases_view, &scalars_view, &threads))
        return NULL;
    PyObject *result = NULL;
    void *copies[2] = {NULL, NULL};
    const size_t point = group == 1 ? sizeof(g1_affine) : sizeof(g2_affine);
    const size_t n = (size_t)scalars_view.len / 32;
    digits_t d = {0};
    if ((group != 1 && group != 2) || (size_t)scalars_view.len % 32 ||
        (size_t)bases_view.len != n * point) {
        PyErr_SetString(PyExc_ValueError, "group must be 1 or 2 with one base per 32-byte scalar");
        goto out;
    }
    const void *bases = aligned(bases_view.buf, (size_t)bases_view.len, &copies[0]);
    const fe *scalars = aligned(scalars_view.buf, (size_t)scalars_view.len, &copies[1]);
    if (!bases || !scalars) {
        PyErr_NoMemory();
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (fr_geq_p(&scalars[i])) {
            PyErr_SetString(PyExc_ValueError, "every scalar must be below the scalar field's modulus");
            goto out;
        }
    }
    int rc = make_digits(&d, scalars, n);
    uint8_t blob[128];
    memset(blob, 0, sizeof(blob));
    if (rc == 0) {
        Py_BEGIN_ALLOW_THREADS
        if (group == 1) {
            g1_jac acc;
            g1_affine aff;
            rc = g1_msm(&acc, bases, &d, 0, n, threads);
            if (!rc) {
                g1_to_affine(&aff, &acc);
                put_g1(blob, &aff);
            }
        } else {
            g2_jac acc;
            g2_affine aff;
            rc = g2_msm(&acc, bases, &d, 0, n, threads);
            if (!rc) {
                g2_to_affine(&aff, &acc);
                put_g2(blob, &aff);
            }
        }
        Py_END_ALLOW_THREADS
    }
    if (rc) {
        PyErr_NoMemory();
        goto out;
    }
    result = PyBytes_FromStringAndSize((const char *)blob, group == 1 ? 64 : 128);
out:
    free(d.digit);
    free(copies[0]);
    free(copies[1]);
    PyBuffer_Release(&bases_view);
    PyBuffer_Release(&scalars_view);
    return result;
}

static const char use_adx_doc[] =
    "use_adx(enable=None) -> bool\n\n"
    "Whether field multiplication uses the mulx/adcx/adox code (x86-64 with BMI2 and ADX; on by\n"
    "default where the CPU has them). With `enable`, switch it (only on where the CPU has\n"
    "them) and return the previous setting; for tests of both paths.";

static PyObject *py_use_adx(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *enable = Py_None;
    if (!PyArg_ParseTuple(args, "|O", &enable)) return NULL;
    const int previous = use_adx;
    if (enable != Py_None) {
        const int wanted = PyObject_IsTrue(enable);
        if (wanted < 0) return NULL;
#if HAVE_ADX_PATH
        use_adx = wanted && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx");
#else
        use_adx = 0;
#endif
    }
    return PyBool_FromLong(previous);
}

static PyMethodDef methods[] = {
    {"use_adx", py_use_adx, METH_VARARGS, use_adx_doc},
    {"prove", py_prove, METH_VARARGS, prove_doc},
    {"msm", py_msm, METH_VARARGS, msm_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_groth16",
    "zkfed's multi-threaded BN254 Groth16 prover for snarkjs zkeys (see zkfed.proving_native).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__groth16(void) {
#if HAVE_ADX_PATH
    __builtin_cpu_init();
    use_adx = __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx");
#endif
    return PyModule_Create(&module);
}
