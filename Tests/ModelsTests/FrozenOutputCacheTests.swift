// The frozen-module output cache: entries are computed once per sample, shared between models
// built on the same weights, and never served for other weights.

import Datasets
import Foundation
import Models
import NN
import Tensors
import Testing

@Suite struct FrozenOutputCacheTests {
    @Test func computesEachMissingSampleOnceAndKeepsTheOrder() throws {
        let cache = FrozenOutputCache<Int>()
        let weights = [Tensor(shape: [2], scalars: [1, 2])]
        var calls: [[String]] = []
        let first = cache.outputs(for: ["a", "b", "a"], weights: weights) { ids in calls.append(ids); return ids.map { $0 == "a" ? 1 : 2 } }
        #expect(first == [1, 2, 1])
        let second = cache.outputs(for: ["c", "b"], weights: weights) { ids in calls.append(ids); return ids.map { _ in 3 } }
        #expect(second == [3, 2])
        #expect(calls == [["a", "b"], ["c"]])
        #expect(cache.count == 3)
    }

    @Test func otherWeightsOrAnotherRevisionEmptyTheCache() throws {
        let cache = FrozenOutputCache<Int>()
        let weights = [Tensor(shape: [2], scalars: [1, 2])]
        _ = cache.outputs(for: ["a"], weights: weights) { $0.map { _ in 1 } }
        // Equal values in another storage are other weights as far as the cache can tell.
        let copy = [Tensor(shape: [2], scalars: [1, 2])]
        #expect(cache.outputs(for: ["a"], weights: copy) { $0.map { _ in 5 } } == [5])
        #expect(cache.outputs(for: ["a"], weights: copy, revision: 1) { $0.map { _ in 6 } } == [6])
        #expect(cache.outputs(for: ["a"], weights: copy, revision: 1) { $0.map { _ in 7 } } == [6])
    }

    /// Two models on the same encoder weights (as the runs of a table, built from one set of
    /// pretrained parts) share one cache: the second model computes nothing and gets the same
    /// loss as a model computing its own features. A model whose encoder was changed does not
    /// get the other model's features.
    @Test func modelsOnTheSameEncoderShareFeaturesAndOthersDoNot() throws {
        let samples = ModelFixtures.colourSamples()
        let first = try ModelFixtures.encoderBasedModel(samples: samples)
        let second = try ModelFixtures.encoderBasedModel(samples: samples, seed: 8)
        try second.visionTower.load(first.visionTower.parameterSet(), strict: true)   // shares storage
        let shared = FrozenOutputCache<Tensor>()
        first.featureCache = shared
        second.featureCache = shared
        _ = try first.loss(samples)
        #expect(shared.count == samples.count)

        let uncached = try ModelFixtures.encoderBasedModel(samples: samples, seed: 8)
        try uncached.visionTower.load(first.visionTower.parameterSet(), strict: true)
        uncached.cachesFrozenFeatures = false
        #expect(try second.loss(samples).value == (try uncached.loss(samples).value))

        // Change one encoder weight of `second` in place: the shared entries must not be used.
        var changed = second.visionTower.parameterSet()
        let name = changed.names[0]
        changed[name] = changed[name]! + 0.5
        try second.visionTower.load(changed, strict: true)
        try uncached.visionTower.load(changed, strict: true)
        #expect(try second.loss(samples).value == (try uncached.loss(samples).value))
    }
}
