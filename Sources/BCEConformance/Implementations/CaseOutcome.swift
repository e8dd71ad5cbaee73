/// What an implementation produced for one golden case.
public enum CaseOutcome: Sendable {
    /// The forward loss and, when computed, the gradients with respect to input and target.
    case outputs(CaseOutputs)
    /// The call raised an error of `kind` (one of `ErrorKinds.all`, or whatever a port claims).
    case error(kind: String, message: String)
    /// The implementation does not support this case (loss, dtype, ...): not covered, neither pass nor fail.
    case skipped(reason: String)
}

public struct CaseOutputs: Sendable {
    public var loss: GoldenTensor
    public var gradInput: GoldenTensor?
    public var gradTarget: GoldenTensor?

    public init(loss: GoldenTensor, gradInput: GoldenTensor? = nil, gradTarget: GoldenTensor? = nil) {
        self.loss = loss
        self.gradInput = gradInput
        self.gradTarget = gradTarget
    }
}

/// Who is under test, as reports name it (and as a port's "started" message describes itself),
/// with what it declares it implements.
public struct ImplementationInfo: Sendable, Codable, Equatable {
    public var name: String
    public var language: String
    public var version: String
    public var capabilities: Capabilities
    /// The port protocol version the port answered with (nil in-process).
    public var protocolVersion: Int?

    public init(name: String, language: String, version: String, capabilities: Capabilities = .everything,
                protocolVersion: Int? = nil) {
        self.name = name
        self.language = language
        self.version = version
        self.capabilities = capabilities
        self.protocolVersion = protocolVersion
    }

    /// The declared losses and dtypes (protocol version 1's `losses` / `dtypes`).
    public var losses: [String] { capabilities.losses.map(\.rawValue) }
    public var dtypes: [String] { capabilities.dtypes.map(\.rawValue) }
}

/// Something that can be put through the golden suite: the Swift library in-process, an
/// external port over the port protocol, or a test double.
public protocol LossImplementation: Sendable {
    var info: ImplementationInfo { get }
    /// Evaluates one case. Throws only when the implementation itself broke (a port that crashed,
    /// hung or spoke something other than the protocol); errors of the loss are `.error` outcomes.
    func evaluate(_ golden: GoldenCase) async throws(ImplementationFailure) -> CaseOutcome
}

/// An in-process implementation that evaluates synchronously and may be called from several
/// threads at once: the runner then spreads the cases over every core.
public protocol SynchronousLossImplementation: LossImplementation {
    func evaluateNow(_ golden: GoldenCase) -> CaseOutcome
}

/// The implementation under test could not be driven: exit code 4.
public struct ImplementationFailure: Error, Sendable, CustomStringConvertible {
    /// The case being evaluated when it broke, if any (nil during start-up or shut-down).
    public var caseID: String?
    public var message: String
    /// The tail of the port's stderr, when there is one.
    public var stderrTail: String

    public init(caseID: String?, message: String, stderrTail: String = "") {
        self.caseID = caseID
        self.message = message
        self.stderrTail = stderrTail
    }

    public var description: String {
        var text = caseID.map { "case \($0): \(message)" } ?? message
        if !stderrTail.isEmpty { text += "\n--- port stderr (last \(stderrTail.utf8.count) bytes) ---\n\(stderrTail)" }
        return text
    }
}
