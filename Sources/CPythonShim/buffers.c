// The buffer protocol: memoryviews over Swift memory, and buffers acquired from Python objects.
#include "python_api.h"  // Python.h, with libpython resolved at run time
#include <stdlib.h>
#include "CPythonShim.h"

// memoryview keeps the format pointer it is given, so formats must be static strings.
static const char *bce_static_format(char code) {
    switch (code) {
    case 'e': return "e";
    case 'f': return "f";
    case 'd': return "d";
    case 'b': return "b";
    case 'B': return "B";
    case 'h': return "h";
    case 'H': return "H";
    case 'i': return "i";
    case 'I': return "I";
    case 'l': return "l";
    case 'L': return "L";
    case 'q': return "q";
    case 'Q': return "Q";
    case '?': return "?";
    default: return NULL;
    }
}

BCEPyObject *bce_memoryview_over(void *memory, char format_code, ptrdiff_t item_size, int ndim,
                                 const ptrdiff_t *shape, int readonly) {
    const char *format = bce_static_format(format_code);
    if (format == NULL) {
        PyErr_Format(PyExc_ValueError, "unsupported struct format '%c'", format_code);
        return NULL;
    }
    if (ndim < 0 || ndim > PyBUF_MAX_NDIM || (ndim > 0 && shape == NULL) || item_size <= 0) {
        PyErr_Format(PyExc_ValueError, "invalid buffer layout: ndim %d, item size %zd", ndim, (Py_ssize_t)item_size);
        return NULL;
    }
    Py_ssize_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "negative dimension");
            return NULL;
        }
        count *= (Py_ssize_t)shape[i];
    }
    Py_ssize_t dims[PyBUF_MAX_NDIM > 0 ? PyBUF_MAX_NDIM : 1];
    for (int i = 0; i < ndim; i++) dims[i] = (Py_ssize_t)shape[i];

    Py_buffer view = {0};
    view.buf = memory;
    view.obj = NULL;  // no exporter: the caller owns the memory
    view.len = count * (Py_ssize_t)item_size;
    view.itemsize = (Py_ssize_t)item_size;
    view.readonly = readonly;
    view.ndim = ndim;
    view.format = (char *)format;
    view.shape = ndim > 0 ? dims : NULL;  // copied by the memoryview
    view.strides = NULL;                   // C-contiguous: computed by the memoryview
    view.suboffsets = NULL;
    return (BCEPyObject *)PyMemoryView_FromBuffer(&view);
}

ptrdiff_t bce_memoryview_exports(BCEPyObject *memoryview) {
    PyObject *object = (PyObject *)memoryview;
    if (!PyMemoryView_Check(object)) return -1;
    // Every memoryview made from this one (memoryview(m), np.asarray(m), m[...]) registers with the
    // same managed buffer; its count falls when such a view is released or freed.
    return (ptrdiff_t)((PyMemoryViewObject *)object)->mbuf->exports;
}

int bce_buffer_acquire(BCEPyObject *object, int writable, BCEBuffer *buffer) {
    Py_buffer *view = PyMem_Calloc(1, sizeof(Py_buffer));
    if (view == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int flags = PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer((PyObject *)object, view, flags) < 0) {
        PyMem_Free(view);
        return -1;
    }
    buffer->memory = view->buf;
    buffer->length = (ptrdiff_t)view->len;
    buffer->item_size = (ptrdiff_t)view->itemsize;
    buffer->readonly = view->readonly;
    buffer->ndim = view->ndim;
    buffer->c_contiguous = PyBuffer_IsContiguous(view, 'C');
    buffer->format = view->format ? view->format : "B";
    buffer->shape = (const ptrdiff_t *)view->shape;
    buffer->opaque = view;
    return 0;
}

void bce_buffer_release(BCEBuffer *buffer) {
    Py_buffer *view = buffer->opaque;
    if (view == NULL) return;
    PyBuffer_Release(view);
    PyMem_Free(view);
    buffer->opaque = NULL;
}
