// Only CPythonShim may import this module: Python.h does not import cleanly into Swift.
#include <Python.h>
