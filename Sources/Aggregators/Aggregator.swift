// The server-side protocol every aggregation algorithm conforms to, and the client-side
// protocol for algorithms that change local training.
//
// Sign convention (one for the whole module): the client update of client k is
//     delta_k = x_k - x          ("client minus global"),
// where x is the global set sent at the start of the round and x_k the set the client
// returns. Every rule is written in terms of delta_k; a positive server step moves the
// global set in the direction the clients moved. Flower's "pseudo-gradient" is -delta.

import Tensors

/// A server-side aggregation rule over named parameter sets.
///
/// The runtime calls, once per round and in this order:
/// 1. `broadcastExtras(global:)`: extra sets sent to every client with the global set.
/// 2. (clients train; if `clientAlgorithm` is non-nil its hooks shape local training)
/// 3. `aggregate(global:updates:failures:context:)`: the new global set.
/// 4. `stateSnapshot()`: written to the checkpoint; `restore(_:)` reloads it on resume.
///
/// Implementations keep their own state (moments, control variates) between calls. An
/// aggregator instance belongs to one run and is used from one thread at a time.
public protocol Aggregator: AnyObject {
    /// Registry name, e.g. "fedadam"; also recorded in saved state.
    var name: String { get }

    /// Client-side behaviour this algorithm needs (FedProx's proximal term, SCAFFOLD's
    /// control variates), or nil when clients train plainly.
    var clientAlgorithm: (any ClientAlgorithm)? { get }

    /// Tensors sent to every client along with the global set this round (SCAFFOLD's server
    /// control variate). Keys are the ones `clientAlgorithm` reads. Default: none.
    func broadcastExtras(global: ParameterSet) -> [String: ParameterSet]

    /// The next global set.
    ///
    /// - Parameters:
    ///   - global: x, the set every participating client started the round from.
    ///   - updates: the clients that returned; each has the names and shapes of `global`.
    ///   - failures: the clients that did not return (the built-in rules accept failures,
    ///     as Flower's `accept_failures=True`, and use them only in error messages).
    ///   - context: the round (from 1), the run length, the federation size.
    /// - Returns: a set with the names (in the order) and shapes of `global`.
    /// - Throws: `AggregatorError` on zero updates, mismatched names or shapes, bad counts.
    func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                   context: RoundContext) throws -> ParameterSet

    /// Everything needed to continue bit-identically after a restart.
    func stateSnapshot() -> AggregatorState

    /// Replaces the aggregator's state with `state`; throws when `state` belongs to another
    /// algorithm or configuration, or is malformed.
    func restore(_ state: AggregatorState) throws
}

extension Aggregator {
    public func broadcastExtras(global: ParameterSet) -> [String: ParameterSet] { [:] }
}

/// An aggregator without state between rounds; conforming gives `clientAlgorithm == nil`,
/// a snapshot that records only `name` and `configuration`, and a matching `restore`.
/// A rule that keeps anything between rounds must implement the snapshot itself.
public protocol StatelessAggregator: Aggregator {
    /// Hyperparameters recorded in the snapshot (default: none).
    var configuration: [String: String] { get }
}

extension StatelessAggregator {
    public var configuration: [String: String] { [:] }
    public var clientAlgorithm: (any ClientAlgorithm)? { nil }
    public func stateSnapshot() -> AggregatorState { AggregatorState(algorithm: name, configuration: configuration) }
    public func restore(_ state: AggregatorState) throws {
        try state.requireMatches(algorithm: name, configuration: configuration)
    }
}

/// Which published variant of an update rule (and its defaults) to use.
/// See Docs/Aggregators.md, "Server optimisers", for the table of differences.
public enum Convention: String, Sendable, Codable, CaseIterable {
    /// The FedVLMBench reference implementation's rules and defaults (the library default).
    case reference
    /// Flower 1.42's strategies (`flwr.serverapp.strategy`) and their defaults.
    case flower
}
