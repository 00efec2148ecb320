// Shared helpers for the NN tests: fixture loading (JSON written by
// Tests/Fixtures/make_nn_fixtures.py), tolerance checks and scratch directories.

import Foundation
import Testing
import Tensors

/// Tests/NNTests/Fixtures, found from this file's path so no bundle resources are needed.
let fixturesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Decodes a fixture JSON file.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent(name))
    return try JSONDecoder().decode(T.self, from: data)
}

/// A tensor in a fixture: row-major values.
struct TensorFixture: Decodable {
    let shape: [Int]
    let data: [Float]
    var tensor: Tensor { Tensor(shape: shape, scalars: data) }
}

/// Integer ids in a fixture.
struct IndexFixture: Decodable {
    let shape: [Int]
    let data: [Int]
    var indices: IndexTensor { IndexTensor(shape: shape, values: data.map { Int32($0) }) }
}

/// Largest |actual − expected| / (absolute + relative · |expected|) over all elements; ≤ 1 passes.
func toleranceRatio(_ actual: Tensor, _ expected: Tensor, absolute: Float, relative: Float) -> Float {
    let a = actual.scalars, e = expected.scalars
    var worst: Float = 0
    for (x, y) in zip(a, e) {
        worst = max(worst, abs(x - y) / (absolute + relative * abs(y)))
    }
    return worst
}

/// Expects equal shapes and elementwise closeness; `label` names the tensor in a failure.
func expectClose(_ actual: Tensor, _ expected: Tensor, absolute: Float, relative: Float, _ label: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(label): shape \(actual.shape) != \(expected.shape)",
            sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let ratio = toleranceRatio(actual, expected, absolute: absolute, relative: relative)
    #expect(ratio <= 1, "\(label): error \(ratio)× the tolerance (abs \(absolute), rel \(relative))",
            sourceLocation: sourceLocation)
}

/// Float32 bit patterns (exact comparison, NaN and signed zeros included).
func bitPatterns(_ tensor: Tensor) -> [UInt32] { tensor.scalars.map(\.bitPattern) }

/// A fresh empty directory under the system temporary directory, removed by the caller.
func makeScratchDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("nn-tests-\(ProcessInfo.processInfo.processIdentifier)-\(label)")
    try? FileManager.default.removeItem(at: url)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
