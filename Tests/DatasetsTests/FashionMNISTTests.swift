// Fed-FashionMNIST: the idx reader on tiny hand-made files, the missing-package error, and
// (when Debian's dataset-fashion-mnist is installed) the full 70,000-sample load.

import Foundation
import Testing
@testable import Datasets

@Suite("Fashion-MNIST")
struct FashionMNISTTests {
    /// An uncompressed idx file (zlib's gzread reads plain files as they are).
    static func idx(dimensions: [Int], payload: [UInt8]) -> Data {
        var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
        for dimension in dimensions {
            bytes += [24, 16, 8, 0].map { UInt8((dimension >> $0) & 0xFF) }
        }
        return Data(bytes + payload)
    }

    /// Writes a 3-image train split and a 2-image test split of 2x3 images.
    static func writeTinySplits(to directory: URL, trainLabels: [UInt8] = [9, 0, 3]) throws {
        let train = FashionMNIST.fileNames(train: true), test = FashionMNIST.fileNames(train: false)
        try idx(dimensions: [3, 2, 3], payload: (0..<18).map { UInt8($0 * 15) })
            .write(to: directory.appendingPathComponent(train.images))
        try idx(dimensions: [trainLabels.count], payload: trainLabels).write(to: directory.appendingPathComponent(train.labels))
        try idx(dimensions: [2, 2, 3], payload: [UInt8](repeating: 255, count: 12))
            .write(to: directory.appendingPathComponent(test.images))
        try idx(dimensions: [2], payload: [1, 8]).write(to: directory.appendingPathComponent(test.labels))
    }

    @Test("tiny idx files load as classification samples with known pixels")
    func tinyFiles() throws {
        let directory = try IOFixtures.temporaryDirectory("fmnist")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.writeTinySplits(to: directory)
        let dataset = try FashionMNIST.load(from: directory)
        #expect(dataset.info.name == "Fed-FashionMNIST")
        #expect(dataset.train.count == 3 && dataset.test.count == 2)
        let first = dataset.train[0]
        #expect(first.image.channels == 1 && first.image.height == 2 && first.image.width == 3)
        #expect(first.image.pixels == (0..<6).map { Float($0 * 15) / 255 })
        #expect(dataset.train[1].image.pixels == (6..<12).map { Float($0 * 15) / 255 })
        #expect(first.category == "Ankle boot")
        #expect(first.answer == "The answer is Ankle boot.")
        #expect(first.prompt.hasPrefix("<image>\nWhat type of clothing item"))
        #expect(first.prompt.contains("T-shirt/top") && first.prompt.contains("Ankle boot"))
        #expect(first.task == .classification && first.answerType == .closed)
        #expect(dataset.train.map(\.category) == ["Ankle boot", "T-shirt/top", "Dress"])
        #expect(dataset.test.map(\.category) == ["Trouser", "Bag"])
        #expect(dataset.test[0].id == "fashion-mnist-test-0")
    }

    @Test("a missing package is an error that says how to install it")
    func notInstalled() throws {
        let directory = try IOFixtures.temporaryDirectory("fmnist-missing")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(!FashionMNIST.isAvailable(in: directory))
        #expect { try FashionMNIST.load(from: directory) } throws: { error in
            "\(error)".contains("apt-get install dataset-fashion-mnist")
                && "\(error)".contains("train-images-idx3-ubyte.gz")
        }
    }

    @Test("mismatched counts, bad labels and truncated payloads name the file")
    func malformedFiles() throws {
        let directory = try IOFixtures.temporaryDirectory("fmnist-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.writeTinySplits(to: directory, trainLabels: [1, 2])
        #expect { try FashionMNIST.load(from: directory) } throws: { error in
            "\(error)".contains("train-labels-idx1-ubyte.gz") && "\(error)".contains("2 labels for 3 images")
        }
        try Self.writeTinySplits(to: directory, trainLabels: [1, 2, 10])
        #expect { try FashionMNIST.load(from: directory) } throws: { error in
            "\(error)".contains("label 10 at index 2")
        }
        let images = directory.appendingPathComponent(FashionMNIST.fileNames(train: true).images)
        try Self.idx(dimensions: [3, 2, 3], payload: [1, 2, 3]).write(to: images)
        #expect { try FashionMNIST.load(from: directory) } throws: { error in
            "\(error)".contains(images.path) && "\(error)".contains("3 data bytes")
        }
    }

    @Test("the Debian package loads 60,000 + 10,000 samples with balanced labels",
          .enabled(if: FashionMNIST.isAvailable(),
                   "skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func fullDataset() throws {
        let dataset = try FashionMNIST.load()
        #expect(dataset.train.count == 60_000)
        #expect(dataset.test.count == 10_000)
        #expect(dataset.train.count + dataset.test.count == 70_000)
        let trainCounts = Dictionary(grouping: dataset.train, by: \.category).mapValues(\.count)
        let testCounts = Dictionary(grouping: dataset.test, by: \.category).mapValues(\.count)
        #expect(Set(trainCounts.keys) == Set(FashionMNIST.classNames))
        #expect(trainCounts.values.allSatisfy { $0 == 6_000 })
        #expect(testCounts.values.allSatisfy { $0 == 1_000 } && testCounts.count == 10)
        // Published facts: the first training label is 9 (Ankle boot), the first test label 9 too.
        #expect(dataset.train[0].category == "Ankle boot")
        #expect(dataset.test[0].category == "Ankle boot")
        let image = dataset.train[0].image
        #expect(image.channels == 1 && image.height == 28 && image.width == 28)
        #expect(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 } && image.pixels.contains { $0 > 0.5 })
    }

    @Test("optional resizing and limits",
          .enabled(if: FashionMNIST.isAvailable(),
                   "skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"))
    func resizedSubset() throws {
        let dataset = try FashionMNIST.load(imageSize: 32, trainLimit: 5, testLimit: 3)
        #expect(dataset.train.count == 5 && dataset.test.count == 3)
        #expect(dataset.train.allSatisfy { $0.image.height == 32 && $0.image.width == 32 && $0.image.channels == 1 })
    }
}
