// Exceptions: taking them from the error indicator, and describing them for Swift.
#include "python_api.h"  // Python.h, with libpython resolved at run time
#include "CPythonShim.h"

BCEPyObject *bce_error_take(void) {
#if PY_VERSION_HEX >= 0x030C0000
    return (BCEPyObject *)PyErr_GetRaisedException();
#else
    PyObject *type = NULL, *value = NULL, *traceback = NULL;
    PyErr_Fetch(&type, &value, &traceback);
    if (type == NULL) return NULL;
    PyErr_NormalizeException(&type, &value, &traceback);
    if (value == NULL) {  // normalization can only fail to produce an instance in odd cases
        value = Py_None;
        Py_INCREF(value);
    }
    if (traceback != NULL && PyExceptionInstance_Check(value)) {
        PyException_SetTraceback(value, traceback);
    }
    Py_XDECREF(type);
    Py_XDECREF(traceback);
    return (BCEPyObject *)value;
#endif
}

int bce_error_discard_pending(void) {
    if (PyErr_Occurred() == NULL) return 0;
    PyErr_Clear();
    return 1;
}

// Calls traceback.format_exception(exception) and joins the lines; NULL (no error set) on failure.
static PyObject *bce_format_traceback(PyObject *exception) {
    PyObject *module = PyImport_ImportModule("traceback");
    if (module == NULL) return NULL;
    PyObject *format = PyObject_GetAttrString(module, "format_exception");
    Py_DECREF(module);
    if (format == NULL) return NULL;
    PyObject *lines = PyObject_CallFunctionObjArgs(format, exception, NULL);
    Py_DECREF(format);
    if (lines == NULL) return NULL;
    PyObject *empty = PyUnicode_FromString("");
    PyObject *joined = empty ? PyUnicode_Join(empty, lines) : NULL;
    Py_XDECREF(empty);
    Py_DECREF(lines);
    return joined;
}

static PyObject *bce_mro_names(PyObject *exception) {
    PyObject *mro = Py_TYPE(exception)->tp_mro;
    if (mro == NULL || !PyTuple_Check(mro)) return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(mro);
    PyObject *names = PyTuple_New(count);
    if (names == NULL) return NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *name = PyObject_GetAttrString(PyTuple_GET_ITEM(mro, i), "__name__");
        if (name == NULL) {
            Py_DECREF(names);
            return NULL;
        }
        PyTuple_SET_ITEM(names, i, name);
    }
    return names;
}

static PyObject *bce_instance_attributes(PyObject *exception) {
    PyObject *result = PyDict_New();
    if (result == NULL) return NULL;
    PyObject *dict = PyObject_GenericGetDict(exception, NULL);
    if (dict == NULL) {  // no instance __dict__: no attributes
        PyErr_Clear();
        return result;
    }
    Py_ssize_t position = 0;
    PyObject *key, *value;
    while (PyDict_Next(dict, &position, &key, &value)) {
        if (!PyUnicode_Check(key)) continue;
        PyObject *text = PyObject_Str(value);
        if (text == NULL) {
            PyErr_Clear();
            continue;
        }
        if (PyDict_SetItem(result, key, text) < 0) PyErr_Clear();
        Py_DECREF(text);
    }
    Py_DECREF(dict);
    return result;
}

void bce_exception_describe(BCEPyObject *exception, BCEPyObject **type_name, BCEPyObject **message,
                            BCEPyObject **traceback, BCEPyObject **type_names, BCEPyObject **attributes) {
    PyObject *value = (PyObject *)exception;
    // Describing must not lose an exception that is pending meanwhile, nor leave one behind.
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *pending = PyErr_GetRaisedException();
#else
    PyObject *pending_type, *pending_value, *pending_traceback;
    PyErr_Fetch(&pending_type, &pending_value, &pending_traceback);
#endif

    *type_name = bce_type_name(exception);
    PyErr_Clear();
    *message = (BCEPyObject *)PyObject_Str(value);
    PyErr_Clear();
    *traceback = PyExceptionInstance_Check(value) ? (BCEPyObject *)bce_format_traceback(value) : NULL;
    PyErr_Clear();
    *type_names = (BCEPyObject *)bce_mro_names(value);
    PyErr_Clear();
    *attributes = PyExceptionInstance_Check(value) ? (BCEPyObject *)bce_instance_attributes(value) : NULL;
    PyErr_Clear();

#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(pending);
#else
    PyErr_Restore(pending_type, pending_value, pending_traceback);
#endif
}
