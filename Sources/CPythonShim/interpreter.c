// Start-up of the one embedded interpreter, and the GIL.
#include "python_api.h"  // Python.h, with libpython resolved at run time
#include <stdio.h>
#include <string.h>
#include "CPythonShim.h"

#define BCE_STRINGIFY_(x) #x
#define BCE_STRINGIFY(x) BCE_STRINGIFY_(x)

// The interpreter python3-dev belongs to: Debian installs it as /usr/bin/pythonX.Y, and its
// getpath finds prefix /usr (lib/pythonX.Y/os.py) from there; Debian's site.py then adds
// /usr/local/lib/pythonX.Y/dist-packages and /usr/lib/python3/dist-packages.
#define BCE_SYSTEM_PYTHON "/usr/bin/python" BCE_STRINGIFY(PY_MAJOR_VERSION) "." BCE_STRINGIFY(PY_MINOR_VERSION)

const char *bce_system_python_executable(void) { return BCE_SYSTEM_PYTHON; }

const char *bce_compiled_python_version(void) { return PY_VERSION; }

static void bce_write_status(char *message, size_t capacity, const char *what, PyStatus status) {
    if (message == NULL || capacity == 0) return;
    snprintf(message, capacity, "%s: %s%s%s", what,
             status.func ? status.func : "", status.func ? ": " : "",
             status.err_msg ? status.err_msg : (PyStatus_IsExit(status) ? "interpreter asked to exit" : "unknown error"));
}

int bce_interpreter_start(char *message, size_t capacity) {
    // libpython is opened here, on first use, not when the program starts (python_api.h).
    if (bce_python_load(message, capacity) < 0) return -2;
    if (Py_IsInitialized()) return 1;

#if PY_VERSION_HEX >= 0x030B0000
    // A libpython of another minor version than the headers (LD_LIBRARY_PATH pointing elsewhere)
    // would look for a standard library that does not match this build.
    if ((Py_Version >> 16) != (PY_VERSION_HEX >> 16)) {
        snprintf(message, capacity,
                 "libpython is version %lu.%lu but this program was built against Python %s headers; "
                 "check LD_LIBRARY_PATH",
                 (unsigned long)((Py_Version >> 24) & 0xFF), (unsigned long)((Py_Version >> 16) & 0xFF), PY_VERSION);
        return -1;
    }
#endif

    PyConfig config;
    // Isolated: PYTHONHOME, PYTHONPATH and every other PYTHON* variable are ignored, the user's
    // site directory is not added, no signal handlers are installed, argv is not parsed. site.py
    // still runs (site_import stays 1), which is what adds the system dist-packages.
    PyConfig_InitIsolatedConfig(&config);
    // Without an absolute program name, getpath searches PATH for "python3" and may take its
    // prefix from whatever interpreter comes first there (pyenv, conda, a virtual environment).
    PyStatus status = PyConfig_SetBytesString(&config, &config.program_name, BCE_SYSTEM_PYTHON);
    if (PyStatus_Exception(status)) {
        bce_write_status(message, capacity, "PyConfig_SetBytesString(program_name)", status);
        PyConfig_Clear(&config);
        return -1;
    }
    // What the PYTHONDONTWRITEBYTECODE and PYTHONUNBUFFERED variables would say, had they been read:
    // no __pycache__ next to imported scripts, and Python's output in order with Swift's.
    config.write_bytecode = 0;
    config.buffered_stdio = 0;
    status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        bce_write_status(message, capacity, "Py_InitializeFromConfig", status);
        return -1;
    }
    // The start-up thread holds the GIL now; give it up for good, so that any thread can take it
    // with PyGILState_Ensure. The saved thread state is never restored: the interpreter is never
    // finalized (NumPy cannot be initialized twice in one process, numpy/numpy#11925).
    (void)PyEval_SaveThread();
    return 0;
}

int bce_gil_ensure(void) { return (int)PyGILState_Ensure(); }

void bce_gil_release(int token) { PyGILState_Release((PyGILState_STATE)token); }

int bce_gil_is_held(void) { return bce_python_loaded() && PyGILState_Check(); }
