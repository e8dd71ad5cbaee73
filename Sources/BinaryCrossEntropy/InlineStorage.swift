// Fixed-capacity storage held inline, so that the passes allocate nothing per call: a local of
// this type lives on the stack.

/// 64 elements stored inline (no heap storage).
struct Inline64<Element> {
    static var capacity: Int { 64 }
    private var storage: (Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element, Element)

    init(repeating value: Element) {
        storage = (value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value, value)
    }

    /// `body` with the 64 elements as a buffer (valid only inside `body`).
    @inline(__always)
    mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Element>) -> R) -> R {
        withUnsafeMutableBytes(of: &storage) { raw in
            body(UnsafeMutableBufferPointer(
                start: raw.baseAddress!.assumingMemoryBound(to: Element.self), count: Self.capacity))
        }
    }

    subscript(index: Int) -> Element {
        mutating get {
            precondition(index >= 0 && index < Self.capacity)
            return withUnsafeMutableBufferPointer { $0[index] }
        }
        set {
            precondition(index >= 0 && index < Self.capacity)
            withUnsafeMutableBufferPointer { $0[index] = newValue }
        }
    }
}
