// References, conversions, containers, attribute access and calls.
#include "python_api.h"  // Python.h, with libpython resolved at run time
#include "CPythonShim.h"

#define OBJ(x) ((PyObject *)(x))
#define BCE(x) ((BCEPyObject *)(x))

// MARK: References

void bce_incref(BCEPyObject *object) { Py_INCREF(OBJ(object)); }

void bce_decref_any_thread(BCEPyObject *object) {
    if (object == NULL || !bce_python_loaded() || !Py_IsInitialized()) return;
    if (PyGILState_Check()) {
        Py_DECREF(OBJ(object));
        return;
    }
    PyGILState_STATE state = PyGILState_Ensure();
    Py_DECREF(OBJ(object));
    PyGILState_Release(state);
}

ptrdiff_t bce_reference_count(BCEPyObject *object) { return Py_REFCNT(OBJ(object)); }

// MARK: Scalars and strings

BCEPyObject *bce_none(void) {
    Py_INCREF(Py_None);
    return BCE(Py_None);
}

int bce_is_none(BCEPyObject *object) { return OBJ(object) == Py_None; }

BCEPyObject *bce_bool_from_int(int value) { return BCE(PyBool_FromLong(value)); }

BCEPyObject *bce_int_from_int64(int64_t value) { return BCE(PyLong_FromLongLong((long long)value)); }

BCEPyObject *bce_float_from_double(double value) { return BCE(PyFloat_FromDouble(value)); }

BCEPyObject *bce_string_from_utf8(const char *utf8, ptrdiff_t length) {
    return BCE(PyUnicode_FromStringAndSize(utf8, (Py_ssize_t)length));
}

int bce_is_bool(BCEPyObject *object) { return PyBool_Check(OBJ(object)); }
int bce_is_string(BCEPyObject *object) { return PyUnicode_Check(OBJ(object)); }
int bce_is_dict(BCEPyObject *object) { return PyDict_Check(OBJ(object)); }

int bce_int_value(BCEPyObject *object, int64_t *value) {
    PyObject *index = PyNumber_Index(OBJ(object));
    if (index == NULL) return -1;
    long long result = PyLong_AsLongLong(index);
    Py_DECREF(index);
    if (result == -1 && PyErr_Occurred()) return -1;
    *value = (int64_t)result;
    return 0;
}

int bce_float_value(BCEPyObject *object, double *value) {
    double result = PyFloat_AsDouble(OBJ(object));
    if (result == -1.0 && PyErr_Occurred()) return -1;
    *value = result;
    return 0;
}

const char *bce_string_utf8(BCEPyObject *object, ptrdiff_t *length) {
    Py_ssize_t size = 0;
    const char *utf8 = PyUnicode_AsUTF8AndSize(OBJ(object), &size);
    *length = (ptrdiff_t)size;
    return utf8;
}

int bce_truth(BCEPyObject *object) { return PyObject_IsTrue(OBJ(object)); }

// MARK: Containers

BCEPyObject *bce_tuple_new(ptrdiff_t count) { return BCE(PyTuple_New((Py_ssize_t)count)); }

int bce_tuple_set(BCEPyObject *tuple, ptrdiff_t index, BCEPyObject *item) {
    Py_INCREF(OBJ(item));  // PyTuple_SetItem steals
    return PyTuple_SetItem(OBJ(tuple), (Py_ssize_t)index, OBJ(item));
}

BCEPyObject *bce_list_new(ptrdiff_t count) { return BCE(PyList_New((Py_ssize_t)count)); }

int bce_list_set(BCEPyObject *list, ptrdiff_t index, BCEPyObject *item) {
    Py_INCREF(OBJ(item));  // PyList_SetItem steals
    return PyList_SetItem(OBJ(list), (Py_ssize_t)index, OBJ(item));
}

BCEPyObject *bce_dict_new(void) { return BCE(PyDict_New()); }

int bce_dict_set(BCEPyObject *dict, BCEPyObject *key, BCEPyObject *value) {
    return PyDict_SetItem(OBJ(dict), OBJ(key), OBJ(value));
}

int bce_dict_next(BCEPyObject *dict, ptrdiff_t *position, BCEPyObject **key, BCEPyObject **value) {
    Py_ssize_t pos = (Py_ssize_t)*position;
    PyObject *k = NULL, *v = NULL;
    int more = PyDict_Next(OBJ(dict), &pos, &k, &v);
    *position = (ptrdiff_t)pos;
    *key = BCE(k);
    *value = BCE(v);
    return more;
}

ptrdiff_t bce_sequence_length(BCEPyObject *sequence) { return (ptrdiff_t)PySequence_Size(OBJ(sequence)); }

BCEPyObject *bce_sequence_item(BCEPyObject *sequence, ptrdiff_t index) {
    return BCE(PySequence_GetItem(OBJ(sequence), (Py_ssize_t)index));
}

// MARK: Objects

BCEPyObject *bce_import(const char *name) { return BCE(PyImport_ImportModule(name)); }

BCEPyObject *bce_builtins(void) { return BCE(PyImport_ImportModule("builtins")); }

BCEPyObject *bce_get_attribute(BCEPyObject *object, const char *name) {
    return BCE(PyObject_GetAttrString(OBJ(object), name));
}

int bce_set_attribute(BCEPyObject *object, const char *name, BCEPyObject *value) {
    return PyObject_SetAttrString(OBJ(object), name, OBJ(value));
}

int bce_has_attribute(BCEPyObject *object, const char *name) {
    return PyObject_HasAttrString(OBJ(object), name);
}

BCEPyObject *bce_get_item(BCEPyObject *object, BCEPyObject *key) { return BCE(PyObject_GetItem(OBJ(object), OBJ(key))); }

int bce_set_item(BCEPyObject *object, BCEPyObject *key, BCEPyObject *value) {
    return PyObject_SetItem(OBJ(object), OBJ(key), OBJ(value));
}

BCEPyObject *bce_call(BCEPyObject *callable, BCEPyObject *const *arguments, size_t positional_count,
                      BCEPyObject *keyword_names) {
    return BCE(PyObject_Vectorcall(OBJ(callable), (PyObject *const *)arguments, positional_count, OBJ(keyword_names)));
}

BCEPyObject *bce_str(BCEPyObject *object) { return BCE(PyObject_Str(OBJ(object))); }

BCEPyObject *bce_repr(BCEPyObject *object) { return BCE(PyObject_Repr(OBJ(object))); }

BCEPyObject *bce_type_name(BCEPyObject *object) {
    PyObject *type = (PyObject *)Py_TYPE(OBJ(object));
    PyObject *qualname = PyObject_GetAttrString(type, "__qualname__");
    if (qualname == NULL) {
        PyErr_Clear();
        return BCE(PyUnicode_FromString(Py_TYPE(OBJ(object))->tp_name));
    }
    PyObject *module = PyObject_GetAttrString(type, "__module__");
    if (module == NULL || !PyUnicode_Check(module) || PyUnicode_CompareWithASCIIString(module, "builtins") == 0) {
        PyErr_Clear();
        Py_XDECREF(module);
        return BCE(qualname);
    }
    PyObject *name = PyUnicode_FromFormat("%U.%U", module, qualname);
    Py_DECREF(module);
    Py_DECREF(qualname);
    if (name == NULL) PyErr_Clear();
    return BCE(name);
}

int bce_is_instance(BCEPyObject *object, BCEPyObject *type) { return PyObject_IsInstance(OBJ(object), OBJ(type)); }

BCEPyObject *bce_run(const char *source, int mode, BCEPyObject *globals) {
    PyObject *dict = OBJ(globals);
    if (PyDict_GetItemString(dict, "__builtins__") == NULL) {
        PyObject *builtins = PyEval_GetBuiltins();  // borrowed
        if (builtins == NULL || PyDict_SetItemString(dict, "__builtins__", builtins) < 0) return NULL;
    }
    return BCE(PyRun_String(source, mode == 0 ? Py_eval_input : Py_file_input, dict, dict));
}
