// The image preprocessing the reference pipeline applies before the vision encoder:
// LLaVA-1.5's `expand2square` (pad to a square with the encoder's mean colour, the
// original centred) followed by CLIP's resize (bicubic) to the encoder's input size.
// Normalisation by mean/std belongs to the vision encoder and is not done here.
//
// Shapes: images are channels-first [channels, height, width], Float32 in [0, 1].
//
// Resampling follows PIL's `Image.resize` (the library the reference pipeline resizes
// with): separable convolution, each output pixel centred at (i + 0.5) * scale in input
// coordinates, filter support widened by the scale factor when shrinking (so downscaling
// averages, i.e. antialiases), weights normalised to sum to one, edges clamped by
// dropping the taps outside the image. Bicubic uses Keys' kernel with a = -0.5.

/// How `ImagePreprocessing.resized` interpolates.
public enum ResizeFilter: String, Sendable, CaseIterable, Codable {
    /// Triangle filter (support 1): PIL's `BILINEAR`.
    case bilinear
    /// Keys' cubic convolution with a = -0.5 (support 2): PIL's `BICUBIC`, what CLIP's
    /// image processor uses.
    case bicubic

    /// Half-width of the filter in output-pixel units (before widening for downscaling).
    var support: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        }
    }

    /// The filter's weight at distance `x` (in filter units).
    func weight(_ x: Double) -> Double {
        let distance = abs(x)
        switch self {
        case .bilinear:
            return distance < 1 ? 1 - distance : 0
        case .bicubic:
            let a = -0.5
            if distance < 1 {
                return ((a + 2) * distance - (a + 3)) * distance * distance + 1
            }
            if distance < 2 {
                return (((distance - 5) * distance + 8) * distance - 4) * a
            }
            return 0
        }
    }
}

/// A colour given as red, green, blue in [0, 1].
public struct RGBColour: Sendable, Equatable, Hashable, Codable {
    public var red: Float
    public var green: Float
    public var blue: Float
    public init(red: Float, green: Float, blue: Float) {
        self.red = red
        self.green = green
        self.blue = blue
    }
    /// The ITU-R BT.601 luma of the colour (0.299 R + 0.587 G + 0.114 B), used to pad
    /// grayscale images.
    public var luma: Float { 0.299 * red + 0.587 * green + 0.114 * blue }
}

/// Pad-to-square, resize and channel conversion as the reference pipeline does them.
public enum ImagePreprocessing {
    /// CLIP's per-channel image mean (OpenAI CLIP, used by CLIP ViT-B/32 in the paper).
    public static let clipMean = RGBColour(red: 0.48145466, green: 0.4578275, blue: 0.40821073)
    /// CLIP's per-channel image standard deviation (for the encoder's normalisation).
    public static let clipStandardDeviation = RGBColour(red: 0.26862954, green: 0.26130258, blue: 0.27577711)
    /// The padding colour LLaVA-1.5 actually paints: `tuple(int(x * 255) for x in image_mean)`,
    /// i.e. (122, 116, 104) / 255. The default of `llavaPreprocess`.
    public static let llavaPadColour = RGBColour(red: 122 / 255, green: 116 / 255, blue: 104 / 255)

    /// Converts a 1-channel image to 3 channels by repeating it; 3-channel images are
    /// returned unchanged.
    public static func rgb(_ image: Image) -> Image {
        if image.channels == 3 { return image }
        precondition(image.channels == 1, "ImagePreprocessing.rgb: \(image.channels) channels, expected 1 or 3")
        return Image(channels: 3, height: image.height, width: image.width,
                     pixels: image.pixels + image.pixels + image.pixels)
    }

    /// Pads the shorter side so the image becomes square, filling with `colour` and
    /// centring the original (offset `(long - short) / 2`, rounded down, as LLaVA's
    /// `expand2square` pastes it). Gray images are padded with the colour's luma.
    public static func paddedToSquare(_ image: Image, colour: RGBColour) -> Image {
        let side = max(image.width, image.height)
        if image.width == image.height { return image }
        let left = (side - image.width) / 2
        let top = (side - image.height) / 2
        let fills: [Float] = image.channels == 3 ? [colour.red, colour.green, colour.blue]
            : [Float](repeating: colour.luma, count: image.channels)
        var pixels = [Float](repeating: 0, count: image.channels * side * side)
        for channel in 0..<image.channels {
            let targetPlane = channel * side * side
            for index in 0..<(side * side) { pixels[targetPlane + index] = fills[channel] }
            let sourcePlane = channel * image.height * image.width
            for y in 0..<image.height {
                let targetRow = targetPlane + (y + top) * side + left
                let sourceRow = sourcePlane + y * image.width
                for x in 0..<image.width { pixels[targetRow + x] = image.pixels[sourceRow + x] }
            }
        }
        return Image(channels: image.channels, height: side, width: side, pixels: pixels)
    }

    /// Resizes to `height` x `width` with PIL's resampling (see the file header); results
    /// are clamped to [0, 1] because bicubic overshoots near edges.
    public static func resized(_ image: Image, height: Int, width: Int, filter: ResizeFilter = .bicubic) -> Image {
        precondition(height > 0 && width > 0, "ImagePreprocessing.resized: target \(height)x\(width) must be positive")
        if image.height == height && image.width == width { return image }
        let horizontal = ResampleTaps(inputSize: image.width, outputSize: width, filter: filter)
        let vertical = ResampleTaps(inputSize: image.height, outputSize: height, filter: filter)
        var output = [Float](repeating: 0, count: image.channels * height * width)
        var rows = [Double](repeating: 0, count: image.height * width)
        for channel in 0..<image.channels {
            let sourcePlane = channel * image.height * image.width
            // Horizontal pass: [inputHeight, inputWidth] -> [inputHeight, width].
            for y in 0..<image.height {
                let sourceRow = sourcePlane + y * image.width
                for x in 0..<width {
                    var sum = 0.0
                    let first = horizontal.first[x]
                    for (k, weight) in horizontal.weights[x].enumerated() {
                        sum += weight * Double(image.pixels[sourceRow + first + k])
                    }
                    rows[y * width + x] = sum
                }
            }
            // Vertical pass: [inputHeight, width] -> [height, width].
            let targetPlane = channel * height * width
            for y in 0..<height {
                let first = vertical.first[y]
                for x in 0..<width {
                    var sum = 0.0
                    for (k, weight) in vertical.weights[y].enumerated() {
                        sum += weight * rows[(first + k) * width + x]
                    }
                    output[targetPlane + y * width + x] = Float(min(max(sum, 0), 1))
                }
            }
        }
        return Image(channels: image.channels, height: height, width: width, pixels: output)
    }

    /// The reference pipeline's image path: gray -> RGB, pad to square with
    /// `padColour`, resize to `size` x `size` with `filter` (bicubic, as CLIP does).
    public static func llavaPreprocess(_ image: Image, size: Int,
                                       padColour: RGBColour = llavaPadColour,
                                       filter: ResizeFilter = .bicubic) -> Image {
        let square = paddedToSquare(rgb(image), colour: padColour)
        return resized(square, height: size, width: size, filter: filter)
    }
}

/// For each output pixel along one axis: the first input index and the normalised filter
/// weights of the input pixels it reads.
struct ResampleTaps {
    var first: [Int]
    var weights: [[Double]]

    init(inputSize: Int, outputSize: Int, filter: ResizeFilter) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        first = []
        weights = []
        first.reserveCapacity(outputSize)
        weights.reserveCapacity(outputSize)
        for output in 0..<outputSize {
            let centre = (Double(output) + 0.5) * scale
            // Input pixel i covers [i, i + 1); its centre is i + 0.5.
            let lower = max(Int((centre - support + 0.5).rounded(.down)), 0)
            let upper = min(Int((centre + support + 0.5).rounded(.down)), inputSize)
            var taps = (lower..<upper).map { filter.weight((Double($0) - centre + 0.5) / filterScale) }
            let total = taps.reduce(0, +)
            if total != 0 { taps = taps.map { $0 / total } }
            first.append(lower)
            weights.append(taps)
        }
    }
}
