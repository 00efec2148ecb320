// Outputs of a frozen image module (the encoder-based model's vision tower, the encoder-free
// model's image tokenizer) by sample id. The module is frozen in every fine-tuning strategy,
// so its output for an image never changes during a run: computing it once per sample instead
// of once per batch, round and client is exact, not an approximation.
//
// One cache can serve several models: every model built from the same pretrained parts shares
// the parts' weights (copy-on-write storage), so the runs of a table compute each image once.
// The cache remembers which weight storages it was filled with and empties itself when asked
// by a module with other weights (weights that were trained, replaced or loaded anew), so a
// stale entry can never be returned.

import Datasets
import Foundation
import Tensors

/// A thread-safe map from sample id to a frozen module's output, tied to the module's weights.
public final class FrozenOutputCache<Output>: @unchecked Sendable {
    private let lock = NSLock()
    private var outputs: [String: Output] = [:]
    /// The weights the entries were computed with; kept alive so their identities stay unique.
    private var weights: [Tensor] = []
    private var revision = 0

    public init() {}

    /// The cache key of a sample: its id and a fingerprint of its pixels (ids are unique within a
    /// dataset, not across datasets, and a shared cache may serve several).
    public static func key(id: String, image: Image) -> String {
        var hasher = Hasher()
        hasher.combine(image.channels)
        hasher.combine(image.height)
        hasher.combine(image.width)
        for pixel in image.pixels { hasher.combine(pixel.bitPattern) }
        return "\(id)#\(hasher.finalize())"
    }

    /// Number of cached samples.
    public var count: Int {
        lock.lock(); defer { lock.unlock() }
        return outputs.count
    }

    /// Removes every entry.
    public func removeAll() {
        lock.lock(); defer { lock.unlock() }
        outputs = [:]
        weights = []
    }

    /// The outputs for `ids` computed with module `weights` (at `revision`, for modules that
    /// count in-place changes): cached entries are reused, the rest come from one call to
    /// `compute` with the missing ids (each once, in first-seen order), which must return one
    /// output per id it gets.
    public func outputs(for ids: [String], weights current: [Tensor], revision currentRevision: Int = 0,
                        compute: ([String]) throws -> [Output]) rethrows -> [Output] {
        lock.lock()
        if !sameWeights(current) || currentRevision != revision {
            outputs = [:]
            weights = current
            revision = currentRevision
        }
        var found: [String: Output] = [:]
        var missing: [String] = []
        var pending = Set<String>()
        for id in ids where found[id] == nil {
            if let output = outputs[id] { found[id] = output } else if pending.insert(id).inserted { missing.append(id) }
        }
        lock.unlock()

        // Compute outside the lock: two threads may compute the same sample at the same time,
        // which only costs time; both results are equal.
        var computed: [String: Output] = [:]
        if !missing.isEmpty {
            let values = try compute(missing)
            precondition(values.count == missing.count, "FrozenOutputCache: \(values.count) outputs for \(missing.count) samples")
            computed = Dictionary(uniqueKeysWithValues: zip(missing, values))
        }

        lock.lock(); defer { lock.unlock() }
        if sameWeights(current) && currentRevision == revision {
            for (id, value) in computed { outputs[id] = value }
        }
        return ids.map { found[$0] ?? computed[$0]! }
    }

    private func sameWeights(_ current: [Tensor]) -> Bool {
        current.count == weights.count
            && zip(current, weights).allSatisfy { $0.storage === $1.storage && $0.offset == $1.offset && $0.shape == $1.shape }
    }
}
