// Fed-FashionMNIST: Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; 60,000 train + 10,000 test
// 28x28 gray clothing images, 10 classes) as a classification task in the style of
// Fed-FGVC: a question listing the classes, the answer "The answer is <class>.", the
// class as the partition category. A real image dataset that a Debian package ships
// (`dataset-fashion-mnist`), so experiments on real pixels need no download.
//
// Shapes: images [1, 28, 28] (or [1, S, S] after the optional resize), Float32 in [0, 1].
//
// File format (idx, big-endian): magic 0x00000803 + count + rows + columns + count*rows*columns
// bytes for images; magic 0x00000801 + count + count bytes for labels. The package ships
// them gzip-compressed; zlib's gzread reads them (it also reads uncompressed files as they are).

import CImageCodecs
import Foundation

/// Why Fashion-MNIST could not be loaded.
public enum FashionMNISTError: Error, CustomStringConvertible, Sendable {
    /// The data files are not where the Debian package puts them.
    case notInstalled(directory: String, missingFile: String)
    /// A file is not a valid (gzip-compressed) idx file.
    case malformed(file: String, reason: String)

    public var description: String {
        switch self {
        case let .notInstalled(directory, missingFile):
            return "Fashion-MNIST not found: \(directory)/\(missingFile) is missing. "
                + "Install it with `apt-get install dataset-fashion-mnist` (or pass the directory holding the idx files)."
        case let .malformed(file, reason):
            return "\(file): not a valid Fashion-MNIST idx file: \(reason)"
        }
    }
}

/// Loader of the Fashion-MNIST idx files as Fed-FashionMNIST samples.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` installs the files.
    public static let debianDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")
    /// The ten classes, in label order 0...9.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// The question every sample asks (after the `<image>` placeholder and a newline).
    public static let question = "What type of clothing item is shown in the image? Options: "
        + classNames.joined(separator: ", ") + "."

    /// The Table 2-style description.
    public static let info = DatasetInfo(
        name: "Fed-FashionMNIST", standsFor: "Fashion-MNIST (clothing class)", tasks: [.classification],
        categoryCount: classNames.count, maxClients: classNames.count, partitionAttribute: "category",
        metrics: ["accuracy"])

    /// The file names of one split: (images, labels).
    public static func fileNames(train: Bool) -> (images: String, labels: String) {
        train ? ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
            : ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    }

    /// True when all four files are in `directory`.
    public static func isAvailable(in directory: URL = debianDirectory) -> Bool {
        [fileNames(train: true), fileNames(train: false)].allSatisfy { pair in
            [pair.images, pair.labels].allSatisfy {
                FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
            }
        }
    }

    /// Loads Fed-FashionMNIST.
    /// - Parameters:
    ///   - directory: where the idx files are (default: the Debian package's folder).
    ///   - imageSize: resize the 28x28 images to this square size (bicubic); nil keeps 28.
    ///   - trainLimit, testLimit: keep only the first N samples of each split (for quick runs).
    /// - Returns: 60,000 train and 10,000 test samples (fewer with limits); no predefined clients.
    /// - Throws: `FashionMNISTError.notInstalled` naming `apt-get install dataset-fashion-mnist`
    ///   when a file is missing, `.malformed` for a corrupt file.
    public static func load(from directory: URL = debianDirectory, imageSize: Int? = nil,
                            trainLimit: Int? = nil, testLimit: Int? = nil) throws -> MultimodalDataset {
        let train = try samples(from: directory, train: true, imageSize: imageSize, limit: trainLimit)
        let test = try samples(from: directory, train: false, imageSize: imageSize, limit: testLimit)
        return MultimodalDataset(info: info, train: train, test: test)
    }

    /// The samples of one split.
    public static func samples(from directory: URL = debianDirectory, train: Bool, imageSize: Int? = nil,
                               limit: Int? = nil) throws -> [Sample] {
        let names = fileNames(train: train)
        for name in [names.images, names.labels] where
            !FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            throw FashionMNISTError.notInstalled(directory: directory.path, missingFile: name)
        }
        let images = try IDXFile(contentsOf: directory.appendingPathComponent(names.images))
        let labels = try IDXFile(contentsOf: directory.appendingPathComponent(names.labels))
        guard images.dimensions.count == 3, labels.dimensions.count == 1 else {
            throw FashionMNISTError.malformed(
                file: images.dimensions.count == 3 ? labels.path : images.path,
                reason: "dimensions \(images.dimensions) / \(labels.dimensions); expected [N, rows, columns] / [N]")
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw FashionMNISTError.malformed(
                file: labels.path, reason: "\(labels.dimensions[0]) labels for \(images.dimensions[0]) images")
        }
        let rows = images.dimensions[1], columns = images.dimensions[2]
        let count = min(images.dimensions[0], limit ?? Int.max)
        let split = train ? "train" : "test"
        var samples: [Sample] = []
        samples.reserveCapacity(count)
        for index in 0..<count {
            let label = Int(labels.bytes[index])
            guard label < classNames.count else {
                throw FashionMNISTError.malformed(file: labels.path, reason: "label \(label) at index \(index) is not in 0...9")
            }
            let plane = rows * columns
            let pixels = images.bytes.withUnsafeBufferPointer { bytes in
                [Float](unsafeUninitializedCapacity: plane) { buffer, initialized in
                    for position in 0..<plane { buffer[position] = Float(bytes[index * plane + position]) / 255 }
                    initialized = plane
                }
            }
            var image = Image(channels: 1, height: rows, width: columns, pixels: pixels)
            if let size = imageSize {
                image = ImagePreprocessing.resized(image, height: size, width: size, filter: .bicubic)
            }
            samples.append(sample(id: "fashion-mnist-\(split)-\(index)", image: image, label: label))
        }
        return samples
    }

    /// The conversation of each label (built once; 70,000 samples share these strings).
    /// The conversation of each class (question, then "The answer is <class>.").
    public static let conversations: [[Turn]] = classNames.map { className in
        [Turn(from: "human", value: imagePlaceholder + "\n" + question),
         Turn(from: "gpt", value: "The answer is \(className).")]
    }

    /// One classification sample for `label`.
    public static func sample(id: String, image: Image, label: Int) -> Sample {
        precondition(classNames.indices.contains(label), "FashionMNIST.sample: label \(label) outside 0...9")
        return Sample(id: id, image: image, conversations: conversations[label],
                      task: .classification, answerType: .closed, category: classNames[label])
    }
}

/// A decoded idx file: its dimensions and its unsigned-byte payload.
struct IDXFile {
    let path: String
    let dimensions: [Int]
    let bytes: [UInt8]

    init(contentsOf url: URL) throws {
        path = url.path
        let raw = try GzipFile.read(url)
        // Header: two zero bytes, the element type (0x08 = unsigned byte), the dimension count,
        // then one big-endian UInt32 per dimension.
        guard raw.count >= 4, raw[0] == 0, raw[1] == 0 else {
            throw FashionMNISTError.malformed(file: path, reason: "bad magic number")
        }
        guard raw[2] == 0x08 else {
            throw FashionMNISTError.malformed(file: path, reason: "element type 0x\(String(raw[2], radix: 16)); expected 0x08 (unsigned byte)")
        }
        let dimensionCount = Int(raw[3])
        let headerSize = 4 + 4 * dimensionCount
        guard dimensionCount >= 1, raw.count >= headerSize else {
            throw FashionMNISTError.malformed(file: path, reason: "header truncated")
        }
        var dimensions: [Int] = []
        for axis in 0..<dimensionCount {
            let offset = 4 + 4 * axis
            dimensions.append(raw[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) })
        }
        let expected = dimensions.reduce(1, *)
        guard raw.count - headerSize == expected else {
            throw FashionMNISTError.malformed(
                file: path, reason: "\(raw.count - headerSize) data bytes; dimensions \(dimensions) need \(expected)")
        }
        self.dimensions = dimensions
        self.bytes = Array(raw[headerSize...])
    }
}

/// Reads whole gzip files through zlib (Foundation on Linux has no gzip support).
enum GzipFile {
    static func read(_ url: URL) throws -> [UInt8] {
        guard let file = gzopen(url.path, "rb") else {
            throw FashionMNISTError.malformed(file: url.path, reason: "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { gzclose(file) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if count < 0 { throw FashionMNISTError.malformed(file: url.path, reason: gzipMessage(file)) }
            if count == 0 { break }
            output.append(contentsOf: chunk[0..<Int(count)])
        }
        // A truncated stream ends reading early with Z_BUF_ERROR instead of an error return.
        var code: Int32 = 0
        let message = gzerror(file, &code)
        if code != Z_OK {
            throw FashionMNISTError.malformed(
                file: url.path, reason: "gzip: \(message.map { String(cString: $0) } ?? "error \(code)")")
        }
        return output
    }

    private static func gzipMessage(_ file: gzFile) -> String {
        var code: Int32 = 0
        guard let message = gzerror(file, &code) else { return "gzip error \(code)" }
        return "gzip: " + String(cString: message)
    }
}
