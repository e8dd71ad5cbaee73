#ifndef BCE_PYTHON_API_H
#define BCE_PYTHON_API_H
// Python.h, and every CPython symbol the shim uses redirected to a pointer that bce_python_load()
// fills with dlsym. The shim's .c files include this instead of Python.h.
//
// Why: the runner must start without libpython (`run`, `list`, `verify`, `serve` never call into
// Python), so nothing may link libpython (no DT_NEEDED entry, no undefined Py* symbol). Python.h
// is still needed at build time for the structures (PyConfig, Py_buffer, PyMemoryViewObject...),
// whose layout is that of the headers' minor version; bce_python_load() opens the libpython of
// exactly that minor version.
//
// How a symbol is redirected: after Python.h has declared `PyTuple_New`, the table below gets a
// field `__typeof__(PyTuple_New) *bce_PyTuple_New`, and `#define PyTuple_New (*bce_python_api.bce_PyTuple_New)`
// makes every later use in the shim (calls, `&PyBool_Type`, `Py_None`'s `&_Py_NoneStruct`,
// `PyExc_ValueError`) go through the table. Python.h's own static inline functions were compiled
// before the redirects, so the shim uses none that calls into libpython: references are counted
// with the Py_IncRef/Py_DecRef functions (Py_INCREF/Py_DECREF are redefined below).
// A symbol used but missing from the list is an undefined reference: the link fails (libpython is
// not linked). A symbol in the list without its #define fails the _Static_assert in loader.c.

// Debian's headers (python3-dev), newest first; never a foreign Python's through CPATH.
#define PY_SSIZE_T_CLEAN
#if __has_include("/usr/include/python3.14/Python.h")
#include "/usr/include/python3.14/Python.h"
#elif __has_include("/usr/include/python3.13/Python.h")
#include "/usr/include/python3.13/Python.h"
#elif __has_include("/usr/include/python3.12/Python.h")
#include "/usr/include/python3.12/Python.h"
#elif __has_include("/usr/include/python3.11/Python.h")
#include "/usr/include/python3.11/Python.h"
#elif __has_include("/usr/include/python3.10/Python.h")
#include "/usr/include/python3.10/Python.h"
#elif __has_include("/usr/include/python3.9/Python.h")
#include "/usr/include/python3.9/Python.h"
#else
#error "Python.h not found: building PythonBridge needs Debian's python3-dev (apt-get install python3-dev); the BinaryCrossEntropy library alone does not"
#endif

// Every symbol of libpython the shim uses, in every supported version.
#define BCE_PYTHON_SYMBOLS_COMMON(X) \
    X(PyBool_FromLong) X(PyBool_Type) X(PyBuffer_IsContiguous) X(PyBuffer_Release) \
    X(PyConfig_Clear) X(PyConfig_InitIsolatedConfig) X(PyConfig_SetBytesString) \
    X(PyDict_GetItemString) X(PyDict_New) X(PyDict_Next) X(PyDict_SetItem) X(PyDict_SetItemString) \
    X(PyErr_Clear) X(PyErr_Format) X(PyErr_NoMemory) X(PyErr_Occurred) X(PyErr_SetString) \
    X(PyEval_GetBuiltins) X(PyEval_SaveThread) X(PyExc_ValueError) X(PyException_SetTraceback) \
    X(PyFloat_AsDouble) X(PyFloat_FromDouble) X(PyGILState_Check) X(PyGILState_Ensure) X(PyGILState_Release) \
    X(PyImport_ImportModule) X(PyList_New) X(PyList_SetItem) X(PyLong_AsLongLong) X(PyLong_FromLongLong) \
    X(PyMem_Calloc) X(PyMem_Free) X(PyMemoryView_FromBuffer) X(PyMemoryView_Type) X(PyNumber_Index) \
    X(PyObject_CallFunctionObjArgs) X(PyObject_GenericGetDict) X(PyObject_GetAttrString) X(PyObject_GetBuffer) \
    X(PyObject_GetItem) X(PyObject_HasAttrString) X(PyObject_IsInstance) X(PyObject_IsTrue) X(PyObject_Repr) \
    X(PyObject_SetAttrString) X(PyObject_SetItem) X(PyObject_Str) X(PyObject_Vectorcall) X(PyRun_StringFlags) \
    X(PySequence_GetItem) X(PySequence_Size) X(PyStatus_Exception) X(PyStatus_IsExit) X(PyTuple_New) \
    X(PyTuple_SetItem) X(PyUnicode_AsUTF8AndSize) X(PyUnicode_CompareWithASCIIString) X(PyUnicode_FromFormat) \
    X(PyUnicode_FromString) X(PyUnicode_FromStringAndSize) X(PyUnicode_Join) X(Py_DecRef) X(Py_IncRef) \
    X(Py_InitializeFromConfig) X(Py_IsInitialized) X(_Py_NoneStruct)
#if PY_VERSION_HEX >= 0x030C0000
#define BCE_PYTHON_SYMBOLS_VERSIONED(X) X(Py_Version) X(PyErr_GetRaisedException) X(PyErr_SetRaisedException)
#elif PY_VERSION_HEX >= 0x030B0000
#define BCE_PYTHON_SYMBOLS_VERSIONED(X) X(Py_Version) X(PyErr_Fetch) X(PyErr_NormalizeException) X(PyErr_Restore)
#else
#define BCE_PYTHON_SYMBOLS_VERSIONED(X) X(PyErr_Fetch) X(PyErr_NormalizeException) X(PyErr_Restore)
#endif
#define BCE_PYTHON_SYMBOLS(X) BCE_PYTHON_SYMBOLS_COMMON(X) BCE_PYTHON_SYMBOLS_VERSIONED(X)

struct bce_python_api {
#define BCE_PYTHON_FIELD(name) __typeof__(name) *bce_##name;
    BCE_PYTHON_SYMBOLS(BCE_PYTHON_FIELD)
#undef BCE_PYTHON_FIELD
};
/// Filled by bce_python_load(); read only after it returned 0.
extern struct bce_python_api bce_python_api;

/// Opens libpythonX.Y.so.1.0 (X.Y: the headers' version) with RTLD_GLOBAL (NumPy's extension
/// modules take their Python symbols from the global scope) and resolves every symbol above.
/// Returns 0, or -1 with a NUL-terminated explanation naming what to install in `message`.
/// Idempotent; called from bce_interpreter_start only (which runs once).
int bce_python_load(char *message, size_t capacity);
/// 1 once bce_python_load has succeeded (any thread, no GIL needed).
int bce_python_loaded(void);

// The redirects (one per symbol of the lists above; loader.c checks that none is missing).
#define PyBool_FromLong (*bce_python_api.bce_PyBool_FromLong)
#define PyBool_Type (*bce_python_api.bce_PyBool_Type)
#define PyBuffer_IsContiguous (*bce_python_api.bce_PyBuffer_IsContiguous)
#define PyBuffer_Release (*bce_python_api.bce_PyBuffer_Release)
#define PyConfig_Clear (*bce_python_api.bce_PyConfig_Clear)
#define PyConfig_InitIsolatedConfig (*bce_python_api.bce_PyConfig_InitIsolatedConfig)
#define PyConfig_SetBytesString (*bce_python_api.bce_PyConfig_SetBytesString)
#define PyDict_GetItemString (*bce_python_api.bce_PyDict_GetItemString)
#define PyDict_New (*bce_python_api.bce_PyDict_New)
#define PyDict_Next (*bce_python_api.bce_PyDict_Next)
#define PyDict_SetItem (*bce_python_api.bce_PyDict_SetItem)
#define PyDict_SetItemString (*bce_python_api.bce_PyDict_SetItemString)
#define PyErr_Clear (*bce_python_api.bce_PyErr_Clear)
#define PyErr_Format (*bce_python_api.bce_PyErr_Format)
#define PyErr_NoMemory (*bce_python_api.bce_PyErr_NoMemory)
#define PyErr_Occurred (*bce_python_api.bce_PyErr_Occurred)
#define PyErr_SetString (*bce_python_api.bce_PyErr_SetString)
#define PyEval_GetBuiltins (*bce_python_api.bce_PyEval_GetBuiltins)
#define PyEval_SaveThread (*bce_python_api.bce_PyEval_SaveThread)
#define PyExc_ValueError (*bce_python_api.bce_PyExc_ValueError)
#define PyException_SetTraceback (*bce_python_api.bce_PyException_SetTraceback)
#define PyFloat_AsDouble (*bce_python_api.bce_PyFloat_AsDouble)
#define PyFloat_FromDouble (*bce_python_api.bce_PyFloat_FromDouble)
#define PyGILState_Check (*bce_python_api.bce_PyGILState_Check)
#define PyGILState_Ensure (*bce_python_api.bce_PyGILState_Ensure)
#define PyGILState_Release (*bce_python_api.bce_PyGILState_Release)
#define PyImport_ImportModule (*bce_python_api.bce_PyImport_ImportModule)
#define PyList_New (*bce_python_api.bce_PyList_New)
#define PyList_SetItem (*bce_python_api.bce_PyList_SetItem)
#define PyLong_AsLongLong (*bce_python_api.bce_PyLong_AsLongLong)
#define PyLong_FromLongLong (*bce_python_api.bce_PyLong_FromLongLong)
#define PyMem_Calloc (*bce_python_api.bce_PyMem_Calloc)
#define PyMem_Free (*bce_python_api.bce_PyMem_Free)
#define PyMemoryView_FromBuffer (*bce_python_api.bce_PyMemoryView_FromBuffer)
#define PyMemoryView_Type (*bce_python_api.bce_PyMemoryView_Type)
#define PyNumber_Index (*bce_python_api.bce_PyNumber_Index)
#define PyObject_CallFunctionObjArgs (*bce_python_api.bce_PyObject_CallFunctionObjArgs)
#define PyObject_GenericGetDict (*bce_python_api.bce_PyObject_GenericGetDict)
#define PyObject_GetAttrString (*bce_python_api.bce_PyObject_GetAttrString)
#define PyObject_GetBuffer (*bce_python_api.bce_PyObject_GetBuffer)
#define PyObject_GetItem (*bce_python_api.bce_PyObject_GetItem)
#define PyObject_HasAttrString (*bce_python_api.bce_PyObject_HasAttrString)
#define PyObject_IsInstance (*bce_python_api.bce_PyObject_IsInstance)
#define PyObject_IsTrue (*bce_python_api.bce_PyObject_IsTrue)
#define PyObject_Repr (*bce_python_api.bce_PyObject_Repr)
#define PyObject_SetAttrString (*bce_python_api.bce_PyObject_SetAttrString)
#define PyObject_SetItem (*bce_python_api.bce_PyObject_SetItem)
#define PyObject_Str (*bce_python_api.bce_PyObject_Str)
#define PyObject_Vectorcall (*bce_python_api.bce_PyObject_Vectorcall)
#define PyRun_StringFlags (*bce_python_api.bce_PyRun_StringFlags)
#define PySequence_GetItem (*bce_python_api.bce_PySequence_GetItem)
#define PySequence_Size (*bce_python_api.bce_PySequence_Size)
#define PyStatus_Exception (*bce_python_api.bce_PyStatus_Exception)
#define PyStatus_IsExit (*bce_python_api.bce_PyStatus_IsExit)
#define PyTuple_New (*bce_python_api.bce_PyTuple_New)
#define PyTuple_SetItem (*bce_python_api.bce_PyTuple_SetItem)
#define PyUnicode_AsUTF8AndSize (*bce_python_api.bce_PyUnicode_AsUTF8AndSize)
#define PyUnicode_CompareWithASCIIString (*bce_python_api.bce_PyUnicode_CompareWithASCIIString)
#define PyUnicode_FromFormat (*bce_python_api.bce_PyUnicode_FromFormat)
#define PyUnicode_FromString (*bce_python_api.bce_PyUnicode_FromString)
#define PyUnicode_FromStringAndSize (*bce_python_api.bce_PyUnicode_FromStringAndSize)
#define PyUnicode_Join (*bce_python_api.bce_PyUnicode_Join)
#define Py_DecRef (*bce_python_api.bce_Py_DecRef)
#define Py_IncRef (*bce_python_api.bce_Py_IncRef)
#define Py_InitializeFromConfig (*bce_python_api.bce_Py_InitializeFromConfig)
#define Py_IsInitialized (*bce_python_api.bce_Py_IsInitialized)
#define _Py_NoneStruct (*bce_python_api.bce__Py_NoneStruct)
#define Py_Version (*bce_python_api.bce_Py_Version)
#define PyErr_GetRaisedException (*bce_python_api.bce_PyErr_GetRaisedException)
#define PyErr_SetRaisedException (*bce_python_api.bce_PyErr_SetRaisedException)
#define PyErr_Fetch (*bce_python_api.bce_PyErr_Fetch)
#define PyErr_NormalizeException (*bce_python_api.bce_PyErr_NormalizeException)
#define PyErr_Restore (*bce_python_api.bce_PyErr_Restore)

// Reference counting through functions: Python.h's inline versions would call _Py_Dealloc.
#undef Py_INCREF
#undef Py_DECREF
#undef Py_XINCREF
#undef Py_XDECREF
#define Py_INCREF(op) Py_IncRef((PyObject *)(op))
#define Py_DECREF(op) Py_DecRef((PyObject *)(op))
#define Py_XINCREF(op) Py_IncRef((PyObject *)(op))   /* Py_IncRef and Py_DecRef accept NULL */
#define Py_XDECREF(op) Py_DecRef((PyObject *)(op))

#endif
