// Errors a user of the aggregators can cause: bad round inputs, bad options, a checkpoint
// that does not match the configured algorithm. Every message names the algorithm and the
// client, parameter, option or key involved.

/// An error in the inputs, options or saved state of an aggregator.
public struct AggregatorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, for callers that branch on it.
    public enum Kind: String, Sendable, Equatable {
        /// The round has no client updates to aggregate.
        case noUpdates
        /// An update's names or shapes differ from the global set, or it lacks a required extra.
        case incompatibleUpdate
        /// An update carries an invalid value: non-positive sample count, non-finite numbers,
        /// a repeated client id, missing local step count.
        case invalidUpdate
        /// A hyperparameter is out of range or an option key is unknown.
        case invalidOption
        /// `AggregatorRegistry` has no aggregator of that name.
        case unknownAggregator
        /// A saved state does not belong to this aggregator or is malformed.
        case invalidState
        /// A client-side hook was called with inputs that do not fit its round.
        case invalidClientInput
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
