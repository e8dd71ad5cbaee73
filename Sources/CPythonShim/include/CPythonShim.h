#ifndef CPYTHONSHIM_H
#define CPYTHONSHIM_H
// The C face of the embedded CPython that Swift can import.
//
// This header never includes Python.h: Python.h's feature-test macros break Glibc's fd_set in any
// Swift file that also imports Foundation, its macros and variadic functions do not import, and its
// PyExc_* globals are errors in Swift 6 mode. Every Python object is the opaque BCEPyObject here,
// and every macro, static inline function, global and version-specific call sits behind a plain C
// function in the .c files of this target.
//
// Conventions (those of the CPython C API):
// - Unless said otherwise, every function needs the calling thread to hold the GIL.
// - A returned BCEPyObject * is a new (owned) reference; NULL means a Python exception is set.
// - An int result of -1 means a Python exception is set.
// - Arguments are borrowed: no function here steals a reference.

#include <stddef.h>
#include <stdint.h>

/// A CPython object (`PyObject`), opaque to Swift.
typedef struct BCEPyObject BCEPyObject;

// MARK: Interpreter (interpreter.c)

/// The system interpreter whose headers and libpython this target was built against, e.g.
/// "/usr/bin/python3.11". The embedded interpreter takes it as its program name, so that it
/// finds that interpreter's standard library and site-packages whatever the environment says.
const char *bce_system_python_executable(void);

/// PY_VERSION of the headers this target was compiled with, e.g. "3.11.2".
const char *bce_compiled_python_version(void);

/// The libpython soname the shim opens at run time, e.g. "libpython3.11.so.1.0" (Debian's
/// package libpython3.11). Nothing links libpython: it is loaded by bce_interpreter_start.
const char *bce_libpython_name(void);

/// Loads bce_libpython_name() (dlopen, RTLD_GLOBAL), then starts the interpreter once, isolated
/// from PYTHON* environment variables and the user's site directory, with its program name pinned
/// to bce_system_python_executable(); then releases the GIL for good. Any thread, no GIL needed.
/// Returns 0 when it started the interpreter, 1 when the process had already started one (it is
/// then used as it is), -2 when libpython could not be loaded and -1 when the interpreter failed
/// to start, both with a NUL-terminated explanation in `message`. It must be called at most once
/// (the caller ensures it). Until it has succeeded, the other functions here that need no GIL are
/// safe (bce_gil_is_held answers 0, bce_decref_any_thread does nothing); the rest must not be called.
int bce_interpreter_start(char *message, size_t capacity);

/// Takes the GIL for the calling thread (re-entrant); any thread. Returns a token for
/// bce_gil_release.
int bce_gil_ensure(void);
/// Gives back the GIL taken by the matching bce_gil_ensure.
void bce_gil_release(int token);
/// 1 when the calling thread holds the GIL. No GIL needed.
int bce_gil_is_held(void);

// MARK: References (objects.c)

void bce_incref(BCEPyObject *object);
/// Drops a reference from any thread, taking the GIL for it when the thread does not hold it.
/// Does nothing once the interpreter is finalizing (the object is then left to the process exit).
void bce_decref_any_thread(BCEPyObject *object);
/// Py_REFCNT.
ptrdiff_t bce_reference_count(BCEPyObject *object);

// MARK: Errors (errors.c)

/// Takes the pending exception (clearing the error indicator), normalized and with its traceback
/// attached; NULL when no exception is pending. PyErr_Fetch before 3.12, PyErr_GetRaisedException after.
BCEPyObject *bce_error_take(void);
/// Clears an exception left pending (a bridge bug: every failure is taken where it happens);
/// returns 1 if there was one.
int bce_error_discard_pending(void);

/// What Swift shows of an exception; computed without ever leaving an error set. Each out-parameter
/// receives a new reference or NULL when that part could not be computed:
/// - type_name: str, "module.QualName" (just "QualName" for builtins)
/// - message: str(exception)
/// - traceback: str, traceback.format_exception(exception) joined
/// - type_names: tuple of str, the __name__ of every class in the exception type's MRO
/// - attributes: dict str -> str, str() of each entry of the exception's instance __dict__
void bce_exception_describe(BCEPyObject *exception, BCEPyObject **type_name, BCEPyObject **message,
                            BCEPyObject **traceback, BCEPyObject **type_names, BCEPyObject **attributes);

// MARK: Scalars, strings and containers (objects.c)

BCEPyObject *bce_none(void);
int bce_is_none(BCEPyObject *object);
BCEPyObject *bce_bool_from_int(int value);
BCEPyObject *bce_int_from_int64(int64_t value);
BCEPyObject *bce_float_from_double(double value);
BCEPyObject *bce_string_from_utf8(const char *utf8, ptrdiff_t length);

/// Checks by type (subclasses included).
int bce_is_bool(BCEPyObject *object);
int bce_is_string(BCEPyObject *object);
int bce_is_dict(BCEPyObject *object);

/// operator.index(object) as int64 (rejects floats); -1 with OverflowError / TypeError on failure.
int bce_int_value(BCEPyObject *object, int64_t *value);
/// float(object) for floats, ints and anything with __float__; -1 with an exception on failure.
int bce_float_value(BCEPyObject *object, double *value);
/// The UTF-8 bytes of a str, valid as long as the str lives; NULL with an exception on failure.
const char *bce_string_utf8(BCEPyObject *object, ptrdiff_t *length);
/// bool(object): 1, 0, or -1 with an exception.
int bce_truth(BCEPyObject *object);

BCEPyObject *bce_tuple_new(ptrdiff_t count);
/// Puts item at index of a new tuple or list (the container takes its own reference).
int bce_tuple_set(BCEPyObject *tuple, ptrdiff_t index, BCEPyObject *item);
BCEPyObject *bce_list_new(ptrdiff_t count);
int bce_list_set(BCEPyObject *list, ptrdiff_t index, BCEPyObject *item);
BCEPyObject *bce_dict_new(void);
int bce_dict_set(BCEPyObject *dict, BCEPyObject *key, BCEPyObject *value);
/// PyDict_Next: borrowed key and value; returns 0 at the end.
int bce_dict_next(BCEPyObject *dict, ptrdiff_t *position, BCEPyObject **key, BCEPyObject **value);

/// len(sequence); -1 with an exception.
ptrdiff_t bce_sequence_length(BCEPyObject *sequence);
BCEPyObject *bce_sequence_item(BCEPyObject *sequence, ptrdiff_t index);

// MARK: Objects (objects.c)

BCEPyObject *bce_import(const char *name);
BCEPyObject *bce_builtins(void);
BCEPyObject *bce_get_attribute(BCEPyObject *object, const char *name);
int bce_set_attribute(BCEPyObject *object, const char *name, BCEPyObject *value);
/// hasattr: 1 or 0, never an exception.
int bce_has_attribute(BCEPyObject *object, const char *name);
BCEPyObject *bce_get_item(BCEPyObject *object, BCEPyObject *key);
int bce_set_item(BCEPyObject *object, BCEPyObject *key, BCEPyObject *value);
/// callable(*arguments[0..<positional_count], **dict(zip(keyword_names, arguments[positional_count...])))
/// through vectorcall; keyword_names is a tuple of str or NULL.
BCEPyObject *bce_call(BCEPyObject *callable, BCEPyObject *const *arguments, size_t positional_count,
                      BCEPyObject *keyword_names);
BCEPyObject *bce_str(BCEPyObject *object);
BCEPyObject *bce_repr(BCEPyObject *object);
/// type(object).__module__ + "." + __qualname__ (without "builtins."), never an exception; NULL if unknown.
BCEPyObject *bce_type_name(BCEPyObject *object);
/// isinstance: 1, 0, or -1 with an exception.
int bce_is_instance(BCEPyObject *object, BCEPyObject *type);
/// Runs source in the dict `globals` (which gets __builtins__ if missing): mode 0 evaluates an
/// expression and returns its value, mode 1 executes statements and returns None.
BCEPyObject *bce_run(const char *source, int mode, BCEPyObject *globals);

// MARK: Buffers (buffers.c)

/// A new memoryview over memory the caller owns, without copying: C-contiguous, of struct format
/// `format_code` ('e' float16, 'f' float32, 'd' float64, or another single native struct
/// character), `ndim` dimensions of `shape` (ndim 0 for a scalar, shape may then be NULL).
/// `memory` must not be NULL (pass any valid address for zero elements), and must stay valid
/// until every view of it is gone (see bce_memoryview_exports).
BCEPyObject *bce_memoryview_over(void *memory, char format_code, ptrdiff_t item_size, int ndim,
                                 const ptrdiff_t *shape, int readonly);

/// The number of memoryviews alive over the same managed buffer as `memoryview` (itself included),
/// i.e. the views Python made from it with memoryview(...) or np.asarray(...); -1 if not a memoryview.
ptrdiff_t bce_memoryview_exports(BCEPyObject *memoryview);

/// A buffer acquired from an object through the buffer protocol (PyObject_GetBuffer with strides
/// and format). Its fields stay valid until bce_buffer_release.
typedef struct {
    void *memory;
    ptrdiff_t length;        ///< bytes
    ptrdiff_t item_size;
    int readonly;
    int ndim;
    int c_contiguous;        ///< PyBuffer_IsContiguous(view, 'C')
    const char *format;      ///< struct format, never NULL ("B" when the exporter gives none)
    const ptrdiff_t *shape;  ///< ndim entries (NULL when ndim is 0)
    void *opaque;            ///< the Py_buffer, for bce_buffer_release
} BCEBuffer;

/// Acquires a buffer (writable if asked); -1 with an exception (BufferError, TypeError) on failure.
int bce_buffer_acquire(BCEPyObject *object, int writable, BCEBuffer *buffer);
void bce_buffer_release(BCEBuffer *buffer);

#endif
