// Loads libpython at run time (see python_api.h for why and how).
#include "python_api.h"
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include "CPythonShim.h"

#define BCE_STRINGIFY_(x) #x
#define BCE_STRINGIFY(x) BCE_STRINGIFY_(x)

// Every listed symbol has its redirect: the expanded name, "(*bce_python_api.bce_NAME)", is longer
// than the name itself only when the #define exists.
#define BCE_PYTHON_REDIRECTED(name) \
    _Static_assert(sizeof(BCE_STRINGIFY(name)) > sizeof(#name), #name " has no #define in python_api.h");
BCE_PYTHON_SYMBOLS(BCE_PYTHON_REDIRECTED)

struct bce_python_api bce_python_api;
static atomic_int bce_python_is_loaded;

// Debian's soname for the interpreter the headers belong to (package libpythonX.Y).
#define BCE_PYTHON_MINOR BCE_STRINGIFY(PY_MAJOR_VERSION) "." BCE_STRINGIFY(PY_MINOR_VERSION)
#define BCE_LIBPYTHON "libpython" BCE_PYTHON_MINOR ".so.1.0"

const char *bce_libpython_name(void) { return BCE_LIBPYTHON; }

int bce_python_loaded(void) { return atomic_load_explicit(&bce_python_is_loaded, memory_order_acquire); }

int bce_python_load(char *message, size_t capacity) {
    if (bce_python_loaded()) return 0;
    // RTLD_GLOBAL: NumPy's extension modules are not linked against libpython; they find its
    // symbols in the global scope. A libpython already in the process is reused.
    void *library = dlopen(BCE_LIBPYTHON, RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(message, capacity,
                 "%s could not be loaded (%s). Embedding Python needs Debian's Python " BCE_PYTHON_MINOR
                 " with NumPy: apt-get install libpython" BCE_PYTHON_MINOR " python3-numpy",
                 BCE_LIBPYTHON, reason ? reason : "no reason given");
        return -1;
    }
    struct bce_python_api api;
    void *address;
#define BCE_PYTHON_RESOLVE(name)                                                                  \
    dlerror();                                                                                    \
    address = dlsym(library, #name);                                                              \
    if (address == NULL) {                                                                        \
        snprintf(message, capacity, "%s has no symbol %s: it is not the libpython of Python %s", \
                 BCE_LIBPYTHON, #name, PY_VERSION);                                               \
        return -1;                                                                                \
    }                                                                                             \
    api.bce_##name = (__typeof__(api.bce_##name))address;
    BCE_PYTHON_SYMBOLS(BCE_PYTHON_RESOLVE)
#undef BCE_PYTHON_RESOLVE
    bce_python_api = api;
    atomic_store_explicit(&bce_python_is_loaded, 1, memory_order_release);
    return 0;
}
