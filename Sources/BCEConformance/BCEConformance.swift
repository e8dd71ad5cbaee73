// Placeholder: the golden-format and runner issues fill this in.
import BinaryCrossEntropy
