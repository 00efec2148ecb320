// Checkpointable aggregator state. The runtime writes it every round; a resumed run must
// continue bit-identically, so tensors are stored as their exact Float32 bit patterns
// (little-endian bytes, base64 in JSON) rather than as decimal text.

import Foundation
import Tensors

/// A snapshot of everything an aggregator carries from one round to the next, plus the
/// configuration it was made with (so a checkpoint cannot silently resume under different
/// hyperparameters).
public struct AggregatorState: Codable, Sendable, Equatable {
    /// The aggregator's `name` ("fedadam"); `restore` rejects a state of another algorithm.
    public var algorithm: String
    /// Hyperparameters as text ("eta": "0.001", "convention": "reference"); `restore`
    /// rejects a state whose configuration differs from the live aggregator's.
    public var configuration: [String: String]
    /// Integer state, e.g. "step" for the number of server updates so far.
    public var counters: [String: Int]
    /// Tensor state by role, e.g. "firstMoment", "secondMoment", "controlVariate.client.3".
    public var parameterSets: [String: StoredParameterSet]

    public init(algorithm: String, configuration: [String: String] = [:], counters: [String: Int] = [:],
                parameterSets: [String: StoredParameterSet] = [:]) {
        self.algorithm = algorithm
        self.configuration = configuration
        self.counters = counters
        self.parameterSets = parameterSets
    }

    /// Throws unless this state was written by an aggregator called `algorithm` with exactly
    /// `configuration`; the message names the first key that differs.
    public func requireMatches(algorithm expected: String, configuration live: [String: String]) throws {
        guard algorithm == expected else {
            throw AggregatorError(.invalidState,
                                  "cannot restore \(expected) from a state saved by \(algorithm)")
        }
        for key in Set(configuration.keys).union(live.keys).sorted() where configuration[key] != live[key] {
            throw AggregatorError(.invalidState,
                                  "\(expected): saved state has \(key) = \(configuration[key] ?? "(absent)"), "
                                  + "the aggregator is configured with \(live[key] ?? "(absent)")")
        }
    }

    /// The counter `key`, or an error naming it.
    public func counter(_ key: String) throws -> Int {
        guard let value = counters[key] else {
            throw AggregatorError(.invalidState, "\(algorithm): saved state has no counter \(key)")
        }
        return value
    }

    /// The decoded parameter set stored under `key`, or nil when absent.
    public func parameterSet(_ key: String) throws -> ParameterSet? {
        try parameterSets[key].map { try $0.parameterSet(context: "\(algorithm) state \(key)") }
    }
}

/// A `ParameterSet` in a Codable form: names in order, each with its shape and bytes.
public struct StoredParameterSet: Codable, Sendable, Equatable {
    /// One tensor: its shape and its elements as little-endian Float32 bytes in row-major order.
    public struct StoredTensor: Codable, Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var bytes: Data
    }

    public var tensors: [StoredTensor]

    /// Captures `set` exactly.
    public init(_ set: ParameterSet) {
        tensors = set.entries.map { entry in
            let bytes = entry.tensor.withUnsafeBufferPointer { values -> Data in
                var data = Data(capacity: values.count * 4)
                for value in values {
                    withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
                }
                return data
            }
            return StoredTensor(name: entry.name, shape: entry.tensor.shape, bytes: bytes)
        }
    }

    /// The set these bytes describe; throws when a shape and its byte count disagree or a
    /// name repeats. `context` starts the message.
    public func parameterSet(context: String) throws -> ParameterSet {
        var result = ParameterSet()
        for stored in tensors {
            guard stored.shape.allSatisfy({ $0 >= 0 }) else {
                throw AggregatorError(.invalidState, "\(context): tensor \(stored.name) has shape \(stored.shape)")
            }
            let count = stored.shape.reduce(1, *)
            guard stored.bytes.count == count * 4 else {
                throw AggregatorError(.invalidState,
                                      "\(context): tensor \(stored.name) of shape \(stored.shape) needs \(count * 4) "
                                      + "bytes, found \(stored.bytes.count)")
            }
            guard result[stored.name] == nil else {
                throw AggregatorError(.invalidState, "\(context): tensor \(stored.name) appears twice")
            }
            var tensor = Tensor(uninitializedShape: stored.shape)
            tensor.withUnsafeMutableBufferPointer { values in
                stored.bytes.withUnsafeBytes { raw in
                    for index in 0..<count {
                        let bits = raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
                        values[index] = Float(bitPattern: UInt32(littleEndian: bits))
                    }
                }
            }
            result[stored.name] = tensor
        }
        return result
    }
}

extension Double {
    /// Exact, round-trippable text for a hyperparameter in `AggregatorState.configuration`.
    var configurationText: String { "\(self)" }
}
