import SwiftBCEShared

/// The version of swift-bce (defined once, in SwiftBCEShared): `SwiftBCEVersion.current` for
/// users of the library alone.
public typealias SwiftBCEVersion = SwiftBCEShared.SwiftBCEVersion
