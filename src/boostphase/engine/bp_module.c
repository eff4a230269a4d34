/* boostphase engine: the Python extension (boostphase.engine.cengine).
 *
 * run(buffers, ints, doubles, threads, path) integrates a batch in place: `buffers` are the
 * case and result arrays in the order of kernel.py's _BUFFERS (read through the buffer
 * protocol, never copied), `ints` and `doubles` the sizes, settings and constants of
 * kernel.py's _pack. The GIL is released for the whole run; `threads` POSIX threads share one
 * queue of cases (each takes the next case when a lane frees), so the result of a case never
 * depends on the thread count. path: 0 automatic, 1 scalar, 2 AVX2 packets, 3 AVX-512 packets.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#define BP_W 1
#include "bp_kernel.h"
#include "bp_cpu.h"

#define N_BUF 36
#define N_OUT 12  /* the last N_OUT buffers are written */
#define BP_W_PACKET 8

static int isa_supported(int path) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (path == 3) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    if (path == 2) return __builtin_cpu_supports("avx2");
    return 1;
#else
    return path == 1 || path == 2;  /* the generic vector build runs as "avx2" */
#endif
}

typedef struct { bp_ctx *c; int path; } bp_job;

static void *worker(void *arg) {
    bp_job *j = (bp_job *)arg;
    if (j->path == 3) bp_run_packets_avx512(j->c);
    else if (j->path == 2) bp_run_packets_avx2(j->c);
    else bp_run_scalar(j->c);
    return NULL;
}

static PyObject *py_available(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    return Py_BuildValue("(OOO)", isa_supported(1) ? Py_True : Py_False,
                         isa_supported(2) ? Py_True : Py_False, isa_supported(3) ? Py_True : Py_False);
}

static PyObject *py_run(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *bufs, *ints, *dbls;
    int threads, path;
    if (!PyArg_ParseTuple(args, "O!O!O!ii", &PyTuple_Type, &bufs, &PyTuple_Type, &ints, &PyTuple_Type,
                          &dbls, &threads, &path))
        return NULL;
    if (PyTuple_GET_SIZE(bufs) != N_BUF || PyTuple_GET_SIZE(ints) != 14 || PyTuple_GET_SIZE(dbls) != 16) {
        PyErr_SetString(PyExc_ValueError, "run: wrong number of buffers or parameters");
        return NULL;
    }
    bp_ctx c;
    memset(&c, 0, sizeof c);
    long long iv[14];
    double dv[16];
    for (int i = 0; i < 14; i++) {
        iv[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(ints, i));
        if (iv[i] == -1 && PyErr_Occurred()) return NULL;
    }
    for (int i = 0; i < 16; i++) {
        dv[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(dbls, i));
        if (dv[i] == -1.0 && PyErr_Occurred()) return NULL;
    }
    c.n = iv[0]; c.S = (int32_t)iv[1]; c.K = (int32_t)iv[2]; c.nrec = (int32_t)iv[3];
    c.natm = (int32_t)iv[4]; c.nfall = (int32_t)iv[5]; c.spherical = (int32_t)iv[6];
    c.drag = (int32_t)iv[7]; c.powered = (int32_t)iv[8]; c.constant_cd = (int32_t)iv[9];
    c.terminal_fall = (int32_t)iv[10]; c.stop_at_impact = (int32_t)iv[11]; c.max_iter = iv[12];
    c.fsal = (int32_t)iv[13];
    c.rtol = dv[0]; c.atol_pos = dv[1]; c.atol_vel = dv[2]; c.h0 = dv[3]; c.h_max = dv[4];
    c.tf_max_speed = dv[5]; c.tf_tol = dv[6]; c.a = dv[7]; c.e2 = dv[8]; c.mu = dv[9];
    c.j2 = dv[10]; c.om = dv[11]; c.slope_rho = dv[12]; c.slope_p = dv[13]; c.rho0 = dv[14];
    (void)dv[15];
    if (c.K > BP_KMAX || c.K < 2 || c.S < 1 || c.nrec < 1 || c.n < 0
        || (c.drag && c.natm < 2) || (c.terminal_fall && c.nfall < 2)) {
        PyErr_SetString(PyExc_ValueError, "run: sizes out of range");
        return NULL;
    }
    if (path < 0 || path > 3 || !isa_supported(path ? path : 1)) {
        PyErr_SetString(PyExc_ValueError, "run: this CPU lacks the requested instruction set");
        return NULL;
    }
    Py_buffer views[N_BUF];
    void *ptr[N_BUF];
    int got = 0;
    {
        /* expected element counts and sizes, in kernel.py's _BUFFERS order */
        const long long n = c.n, S = c.S, K = c.K, R = c.nrec, A = c.drag ? c.natm : 0,
                        F = c.terminal_fall ? c.nfall : 0;
        const long long count[N_BUF] = {
            A, A, A, A, A, F, F,                                  /* tables */
            6 * n, n, n * S, n * S, n * S, n * S, n * S, n * S,   /* y0 .. seg_ref_area */
            n * S, n * S * K, n * S * K, n, n, n, n, 3 * n, n,    /* seg_mode .. t_max */
            n, 6 * n, n, n, n, n * S * 7, n, n, n, n * R * 7, n, n};  /* outputs */
        const int size[N_BUF] = {8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 4, 8, 8, 8, 8, 8, 8,
                                 8, 8, 8, 8, 1, 8, 8, 8, 4, 4, 4, 8, 4, 1};
        for (; got < N_BUF; got++) {
            PyObject *o = PyTuple_GET_ITEM(bufs, got);
            int flags = PyBUF_C_CONTIGUOUS | (got >= N_BUF - N_OUT ? PyBUF_WRITABLE : 0);
            if (PyObject_GetBuffer(o, &views[got], flags) < 0) goto fail;
            ptr[got] = views[got].buf;
            if (views[got].len != count[got] * size[got]) {
                got++;
                PyErr_Format(PyExc_ValueError, "run: buffer %d holds %zd bytes, expected %lld", got - 1,
                             views[got - 1].len, count[got - 1] * size[got - 1]);
                goto fail;
            }
        }
    }
    {
        int b = 0;
        c.ln_rho = ptr[b++]; c.ln_p = ptr[b++]; c.snd = ptr[b++]; c.d_rho = ptr[b++]; c.d_p = ptr[b++];
        c.fall_s = ptr[b++]; c.fall_q = ptr[b++];
        c.y0 = ptr[b++]; c.t0 = ptr[b++]; c.seg_t_end = ptr[b++]; c.seg_m0 = ptr[b++];
        c.seg_mdot = ptr[b++]; c.seg_thrust = ptr[b++]; c.seg_exit_area = ptr[b++];
        c.seg_ref_area = ptr[b++]; c.seg_mode = ptr[b++]; c.cd_mach = ptr[b++]; c.cd_val = ptr[b++];
        c.azimuth = ptr[b++]; c.kick = ptr[b++]; c.pitch_t0 = ptr[b++]; c.pitch_t1 = ptr[b++];
        c.u_fixed = ptr[b++]; c.t_max = ptr[b++];
        c.o_t = ptr[b++]; c.o_y = ptr[b++]; c.o_impacted = ptr[b++]; c.o_apogee_alt = ptr[b++];
        c.o_apogee_t = ptr[b++]; c.o_seg_state = ptr[b++]; c.o_n_steps = ptr[b++]; c.o_n_rhs = ptr[b++];
        c.o_n_reject = ptr[b++]; c.o_rec = ptr[b++]; c.o_n_rec = ptr[b++]; c.o_fell = ptr[b++];
    }
    if (path == 0) {  /* automatic: packets for 8 cases or more, on the widest instruction set */
        path = c.n < 8 ? 1 : (isa_supported(3) ? 3 : 2);
    }
    {
        long long per = path == 1 ? 1 : BP_W_PACKET;
        long long want = (c.n + per - 1) / per;
        int nt = threads < 1 ? 1 : threads;
        if (nt > want) nt = want < 1 ? 1 : (int)want;
        if (nt > 256) nt = 256;
        pthread_t tid[256];
        bp_job job = {&c, path};
        int started = 0;
        Py_BEGIN_ALLOW_THREADS
        for (int i = 1; i < nt; i++) {
            if (pthread_create(&tid[started], NULL, worker, &job) == 0) started++;
        }
        worker(&job);
        for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
        Py_END_ALLOW_THREADS
    }
    for (int i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    return Py_BuildValue("i", path);
fail:
    for (int i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    return NULL;
}

/* lookup(alt, ln_rho, ln_p, snd, d_rho, d_p, fall_s, fall_q, slope_rho, slope_p, out):
 * the kernel's own table lookups (scalar build) at each altitude of `alt` (m), for tests and
 * for atmosphere.kernel_lookup: out (n, 5) = density, pressure, sound speed, and the two
 * terminal-fall integrals (0 where the fall tables are empty). */
static PyObject *py_lookup(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *o[9];
    double slope_rho, slope_p;
    if (!PyArg_ParseTuple(args, "OOOOOOOOddO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7],
                          &slope_rho, &slope_p, &o[8]))
        return NULL;
    Py_buffer v[9];
    int got = 0;
    for (; got < 9; got++) {
        if (PyObject_GetBuffer(o[got], &v[got], PyBUF_C_CONTIGUOUS | (got == 8 ? PyBUF_WRITABLE : 0)) < 0)
            goto fail;
        if (v[got].itemsize != 8) { got++; PyErr_SetString(PyExc_ValueError, "lookup: float64 arrays"); goto fail; }
    }
    {
        bp_ctx c;
        memset(&c, 0, sizeof c);
        Py_ssize_t n = v[0].len / 8;
        c.natm = (int32_t)(v[1].len / 8); c.nfall = (int32_t)(v[6].len / 8);
        if (c.natm < 2 || v[2].len != v[1].len || v[3].len != v[1].len || v[4].len != v[1].len
            || v[5].len != v[1].len || v[7].len != v[6].len || v[8].len != 5 * 8 * n) {
            PyErr_SetString(PyExc_ValueError, "lookup: table or output sizes differ");
            goto fail;
        }
        c.ln_rho = v[1].buf; c.ln_p = v[2].buf; c.snd = v[3].buf; c.d_rho = v[4].buf; c.d_p = v[5].buf;
        c.fall_s = v[6].buf; c.fall_q = v[7].buf; c.slope_rho = slope_rho; c.slope_p = slope_p;
        const double *alt = v[0].buf;
        double *out = v[8].buf;
        for (Py_ssize_t i = 0; i < n; i++) {
            double rho, p, a, s = 0.0, q = 0.0;
            bp_atm(&c, alt[i], 1, 1, &rho, &p, &a);
            if (c.nfall >= 2) bp_fall(&c, alt[i], &s, &q);
            out[5 * i] = rho; out[5 * i + 1] = p; out[5 * i + 2] = a; out[5 * i + 3] = s; out[5 * i + 4] = q;
        }
    }
    for (int i = 0; i < got; i++) PyBuffer_Release(&v[i]);
    Py_RETURN_NONE;
fail:
    for (int i = 0; i < got; i++) PyBuffer_Release(&v[i]);
    return NULL;
}

static PyObject *py_ctx_size(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    return Py_BuildValue("n", (Py_ssize_t)sizeof(bp_ctx));
}

/* {field: byte offset} of bp_ctx: the GPU build's NumPy record (gpu.CTX_DTYPE) must match */
static PyObject *py_ctx_layout(PyObject *self, PyObject *args) {
    (void)self; (void)args;
    PyObject *d = PyDict_New();
    if (!d) return NULL;
#define BP_OFF(f) do { PyObject *v = PyLong_FromSsize_t((Py_ssize_t)offsetof(bp_ctx, f)); \
    if (!v || PyDict_SetItemString(d, #f, v) < 0) { Py_XDECREF(v); Py_DECREF(d); return NULL; } Py_DECREF(v); } while (0)
    BP_OFF(n); BP_OFF(next); BP_OFF(S); BP_OFF(K); BP_OFF(nrec); BP_OFF(natm); BP_OFF(nfall);
    BP_OFF(spherical); BP_OFF(drag); BP_OFF(powered); BP_OFF(constant_cd); BP_OFF(terminal_fall);
    BP_OFF(stop_at_impact); BP_OFF(fsal); BP_OFF(max_iter); BP_OFF(rtol); BP_OFF(atol_pos);
    BP_OFF(atol_vel); BP_OFF(h0); BP_OFF(h_max); BP_OFF(tf_max_speed); BP_OFF(tf_tol); BP_OFF(a);
    BP_OFF(e2); BP_OFF(mu); BP_OFF(j2); BP_OFF(om); BP_OFF(slope_rho); BP_OFF(slope_p); BP_OFF(rho0);
    BP_OFF(ln_rho); BP_OFF(ln_p); BP_OFF(snd); BP_OFF(d_rho); BP_OFF(d_p); BP_OFF(fall_s); BP_OFF(fall_q);
    BP_OFF(y0); BP_OFF(t0); BP_OFF(seg_t_end); BP_OFF(seg_m0); BP_OFF(seg_mdot); BP_OFF(seg_thrust);
    BP_OFF(seg_exit_area); BP_OFF(seg_ref_area); BP_OFF(cd_mach); BP_OFF(cd_val); BP_OFF(azimuth);
    BP_OFF(kick); BP_OFF(pitch_t0); BP_OFF(pitch_t1); BP_OFF(u_fixed); BP_OFF(t_max); BP_OFF(seg_mode);
    BP_OFF(o_t); BP_OFF(o_y); BP_OFF(o_apogee_alt); BP_OFF(o_apogee_t); BP_OFF(o_seg_state); BP_OFF(o_rec);
    BP_OFF(o_impacted); BP_OFF(o_fell); BP_OFF(o_n_steps); BP_OFF(o_n_rhs); BP_OFF(o_n_reject); BP_OFF(o_n_rec);
#undef BP_OFF
    return d;
}

static PyMethodDef methods[] = {
    {"ctx_size", py_ctx_size, METH_NOARGS, "sizeof(bp_ctx): the GPU build's record must match it."},
    {"ctx_layout", py_ctx_layout, METH_NOARGS, "{field: offset} of bp_ctx."},
    {"lookup", py_lookup, METH_VARARGS, "The kernel's atmosphere and terminal-fall lookups."},
    {"run", py_run, METH_VARARGS, "Integrate a batch in place (see kernel.py)."},
    {"available", py_available, METH_NOARGS, "(scalar, avx2, avx512): paths this CPU runs."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "cengine", NULL, -1, methods};

PyMODINIT_FUNC PyInit_cengine(void) { return PyModule_Create(&module); }
