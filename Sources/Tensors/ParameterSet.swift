// Named parameter sets: what models expose, checkpoints store, clients send and
// aggregators combine. Names are dotted checkpoint names
// ("language_model.layers.0.self_attn.q_proj.lora_A").

/// An ordered map from parameter names to tensors.
public struct ParameterSet: Sendable, Equatable {
    /// Names in insertion order.
    public private(set) var names: [String]
    private var storage: [String: Tensor]

    public init() {
        names = []
        storage = [:]
    }

    /// Builds a set from (name, tensor) pairs; a repeated name is a programmer error.
    public init(_ pairs: [(String, Tensor)]) {
        self.init()
        for (name, tensor) in pairs {
            precondition(storage[name] == nil, "ParameterSet: duplicate name \(name)")
            self[name] = tensor
        }
    }

    /// The tensor stored under `name`; assigning nil removes it.
    public subscript(name: String) -> Tensor? {
        get { storage[name] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: name) == nil { names.append(name) }
            } else if storage.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    /// Number of tensors.
    public var count: Int { names.count }
    public var isEmpty: Bool { names.isEmpty }
    /// Total number of scalars over all tensors.
    public var scalarCount: Int { names.reduce(0) { $0 + storage[$1]!.scalarCount } }
    /// Bytes when sent as Float32 (communication accounting).
    public var byteCount: Int { scalarCount * MemoryLayout<Float>.size }

    /// (name, tensor) pairs in order.
    public var entries: [(name: String, tensor: Tensor)] { names.map { ($0, storage[$0]!) } }

    /// The subset whose names satisfy `include`, in the same order.
    public func filter(_ include: (String) -> Bool) -> ParameterSet {
        ParameterSet(names.filter(include).map { ($0, storage[$0]!) })
    }

    /// Applies `transform` to every tensor, keeping names.
    public func mapTensors(_ transform: (String, Tensor) throws -> Tensor) rethrows -> ParameterSet {
        ParameterSet(try names.map { ($0, try transform($0, storage[$0]!)) })
    }

    /// Throws unless `other` has exactly the same names (in any order) and shapes; `context`
    /// names the source in the message (e.g. "update from client 3").
    public func validateCompatible(with other: ParameterSet, context: String) throws {
        let mine = Set(names), theirs = Set(other.names)
        if mine != theirs {
            let missing = mine.subtracting(theirs).sorted().prefix(5)
            let extra = theirs.subtracting(mine).sorted().prefix(5)
            throw TensorError("\(context): parameter names differ; missing \(Array(missing)), unexpected \(Array(extra))")
        }
        for name in names where storage[name]!.shape != other[name]!.shape {
            throw TensorError("\(context): parameter \(name) has shape \(other[name]!.shape), expected \(storage[name]!.shape)")
        }
    }

    /// True when every value of every tensor is finite.
    public var isFinite: Bool { names.allSatisfy { storage[$0]!.isFinite } }
}
