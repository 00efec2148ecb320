// Decoding PNG and JPEG files into `Image` values and encoding `Image` values as PNG.
//
// Shapes: every decoded image is channels-first [channels, height, width], Float32 in [0, 1],
// with channels = 1 for grayscale sources and 3 for colour sources.
//
// Channel policy (chosen to match what the reference pipeline sees through PIL's
// `Image.open(path).convert("RGB")`, minus the gray -> RGB step, which
// `ImagePreprocessing.rgb(_:)` does when a model wants three channels):
//   PNG gray, gray+alpha                 -> 1 channel (alpha dropped, not composited)
//   PNG RGB, RGBA, palette (+ tRNS)      -> 3 channels (alpha dropped, not composited)
//   PNG 16-bit                           -> reduced to 8 bits (v / 257, rounded), values kept as
//                                           stored: the file is read as sRGB-encoded, never as linear
//   JPEG gray                            -> 1 channel
//   JPEG YCbCr / RGB                     -> 3 channels
//   JPEG CMYK / YCCK                     -> unsupported (a thrown error names the file)
//
// Both libraries are driven through APIs that report errors by return value (libpng's
// simplified png_image API, libjpeg-turbo's TurboJPEG API); see Sources/CImageCodecs/shim.h
// for why. A corrupt or truncated file is therefore a thrown `ImageCodecError`, never a crash.

import CImageCodecs
import Foundation

/// Why an image could not be decoded or encoded. Every case names the file (or the
/// caller's label for in-memory data).
public enum ImageCodecError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be read at all (missing, a directory, no permission).
    case unreadable(file: String, reason: String)
    /// The bytes start with neither the PNG nor the JPEG signature.
    case unknownFormat(file: String)
    /// libpng or libjpeg-turbo rejected the data (corrupt, truncated, unsupported variant).
    case corrupt(file: String, format: String, reason: String)
    /// A well-formed image of a kind this library does not convert (e.g. CMYK JPEG).
    case unsupported(file: String, reason: String)
    /// Encoding failed (e.g. the output file could not be written).
    case encodingFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read image file: \(reason)"
        case let .unknownFormat(file):
            return "\(file): not a PNG or JPEG file (unrecognised signature)"
        case let .corrupt(file, format, reason):
            return "\(file): corrupt or truncated \(format): \(reason)"
        case let .unsupported(file, reason):
            return "\(file): unsupported image: \(reason)"
        case let .encodingFailed(file, reason):
            return "\(file): cannot encode PNG: \(reason)"
        }
    }
}

/// The container formats `ImageCodec` reads.
public enum ImageFileFormat: String, Sendable {
    case png
    case jpeg

    /// Detects the format from the first bytes (PNG: 89 50 4E 47 0D 0A 1A 0A; JPEG: FF D8 FF).
    public init?(signatureOf data: Data) {
        let bytes = [UInt8](data.prefix(8))
        if bytes == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
            self = .png
        } else if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            self = .jpeg
        } else {
            return nil
        }
    }
}

/// PNG and JPEG decoding and PNG encoding for `Image`.
public enum ImageCodec {
    /// Decodes the PNG or JPEG file at `url` (format detected from its signature, not its
    /// extension).
    /// - Throws: `ImageCodecError` naming the file's path.
    public static func decode(contentsOf url: URL) throws -> Image {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageCodecError.unreadable(file: url.path, reason: describe(error))
        }
        return try decode(data, name: url.path)
    }

    /// Decodes PNG or JPEG bytes. `name` labels the data in error messages (a path or an id).
    /// - Throws: `ImageCodecError` naming `name`.
    public static func decode(_ data: Data, name: String) throws -> Image {
        switch ImageFileFormat(signatureOf: data) {
        case .png: return try decodePNG(data, name: name)
        case .jpeg: return try decodeJPEG(data, name: name)
        case nil: throw ImageCodecError.unknownFormat(file: name)
        }
    }

    // MARK: PNG

    /// Decodes a PNG through libpng's simplified API (`png_image_*`), which keeps its
    /// setjmp/longjmp error handling inside libpng and reports failures in `image.message`.
    public static func decodePNG(_ data: Data, name: String) throws -> Image {
        var control = png_image()
        control.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&control) }

        // libpng keeps a pointer to the bytes until png_image_finish_read returns, so both
        // calls run inside one withUnsafeBytes.
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Image in
            guard png_image_begin_read_from_memory(&control, raw.baseAddress, raw.count) != 0 else {
                throw ImageCodecError.corrupt(file: name, format: "PNG", reason: pngMessage(control))
            }
            let sourceFormat = control.format
            let isColour = sourceFormat & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
            let hasAlpha = sourceFormat & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
            // Read 16-bit files as sRGB-encoded values, like every 8-bit file: libpng would
            // otherwise treat them as linear light and gamma-encode them on the way to 8 bits.
            control.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
            // 8-bit output in the source's colour model; alpha is kept in the buffer (8-bit
            // formats are not premultiplied) and dropped below, as PIL's convert("RGB") does.
            var outputFormat: UInt32 = 0
            if isColour { outputFormat |= UInt32(PNG_FORMAT_FLAG_COLOR) }
            if hasAlpha { outputFormat |= UInt32(PNG_FORMAT_FLAG_ALPHA) }
            control.format = outputFormat

            let width = Int(control.width)
            let height = Int(control.height)
            let storedChannels = (isColour ? 3 : 1) + (hasAlpha ? 1 : 0)
            guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
                throw ImageCodecError.unsupported(
                    file: name, reason: "PNG size \(width)x\(height) outside 1...32768")
            }
            var buffer = [UInt8](repeating: 0, count: width * height * storedChannels)
            let ok = buffer.withUnsafeMutableBytes { out in
                png_image_finish_read(&control, nil, out.baseAddress, 0, nil)
            }
            guard ok != 0 else {
                throw ImageCodecError.corrupt(file: name, format: "PNG", reason: pngMessage(control))
            }
            return planarImage(interleaved: buffer, width: width, height: height,
                               storedChannels: storedChannels, keptChannels: isColour ? 3 : 1)
        }
    }

    private static func pngMessage(_ control: png_image) -> String {
        var message = control.message
        let text = withUnsafeBytes(of: &message) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        return text.isEmpty ? "libpng reported an error without a message" : text
    }

    // MARK: JPEG

    /// Decodes a baseline or progressive JPEG through TurboJPEG with the accurate integer
    /// IDCT and fancy upsampling (libjpeg's defaults, which PIL also uses).
    ///
    /// libjpeg reports recoverable damage as warnings. "Premature end of JPEG file" (a
    /// truncated file) is treated as an error, as PIL does; other warnings (e.g. extraneous
    /// bytes before a marker, common in real photo collections) are accepted.
    public static func decodeJPEG(_ data: Data, name: String) throws -> Image {
        guard let handle = tjInitDecompress() else {
            throw ImageCodecError.corrupt(file: name, format: "JPEG",
                                          reason: "cannot create a TurboJPEG decompressor")
        }
        defer { tjDestroy(handle) }

        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Image in
            let source = raw.bindMemory(to: UInt8.self)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colourspace: Int32 = 0
            guard tjDecompressHeader3(handle, source.baseAddress, UInt(source.count),
                                      &width, &height, &subsampling, &colourspace) == 0 else {
                throw ImageCodecError.corrupt(file: name, format: "JPEG", reason: turboMessage(handle))
            }
            let channels: Int
            let pixelFormat: TJPF
            switch colourspace {
            case Int32(TJCS_GRAY.rawValue):
                channels = 1
                pixelFormat = TJPF_GRAY
            case Int32(TJCS_RGB.rawValue), Int32(TJCS_YCbCr.rawValue):
                channels = 3
                pixelFormat = TJPF_RGB
            default:
                throw ImageCodecError.unsupported(
                    file: name, reason: "JPEG colour space CMYK/YCCK (TurboJPEG code \(colourspace)) is not converted")
            }
            guard width > 0, height > 0, width <= 1 << 15, height <= 1 << 15 else {
                throw ImageCodecError.unsupported(
                    file: name, reason: "JPEG size \(width)x\(height) outside 1...32768")
            }
            var buffer = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
            let status = buffer.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, source.baseAddress, UInt(source.count), out.baseAddress,
                              width, 0, height, Int32(pixelFormat.rawValue), TJFLAG_ACCURATEDCT)
            }
            if status != 0 {
                let message = turboMessage(handle)
                let isWarning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
                if !isWarning || message.contains("Premature end") {
                    throw ImageCodecError.corrupt(file: name, format: "JPEG", reason: message)
                }
            }
            return planarImage(interleaved: buffer, width: Int(width), height: Int(height),
                               storedChannels: channels, keptChannels: channels)
        }
    }

    private static func turboMessage(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "TurboJPEG reported an error without a message" }
        return String(cString: text)
    }

    // MARK: PNG encoding

    /// Encodes a 1- or 3-channel image as an 8-bit gray or RGB PNG. Values are clamped to
    /// [0, 1] and rounded to the nearest of 256 levels, so pixels that are multiples of 1/255
    /// survive a write/read round trip exactly.
    /// - Parameter name: labels the image in error messages.
    public static func encodePNG(_ image: Image, name: String = "image") throws -> Data {
        guard image.channels == 1 || image.channels == 3 else {
            throw ImageCodecError.encodingFailed(
                file: name, reason: "\(image.channels) channels; PNG export writes 1 (gray) or 3 (RGB)")
        }
        let interleaved = interleavedBytes(image)
        var control = png_image()
        control.version = UInt32(PNG_IMAGE_VERSION)
        control.width = UInt32(image.width)
        control.height = UInt32(image.height)
        control.format = image.channels == 3 ? UInt32(PNG_FORMAT_RGB) : UInt32(PNG_FORMAT_GRAY)
        defer { png_image_free(&control) }

        // First call measures, second call writes (libpng's documented two-pass use).
        var size = 0
        let measured = interleaved.withUnsafeBytes { pixels in
            png_image_write_to_memory(&control, nil, &size, 0, pixels.baseAddress, 0, nil)
        }
        guard measured != 0, size > 0 else {
            throw ImageCodecError.encodingFailed(file: name, reason: pngMessage(control))
        }
        var output = Data(count: size)
        let written = output.withUnsafeMutableBytes { out in
            interleaved.withUnsafeBytes { pixels in
                png_image_write_to_memory(&control, out.baseAddress, &size, 0, pixels.baseAddress, 0, nil)
            }
        }
        guard written != 0 else {
            throw ImageCodecError.encodingFailed(file: name, reason: pngMessage(control))
        }
        return output.prefix(size)
    }

    /// Encodes `image` as PNG and writes it to `url` (atomically), creating no directories.
    public static func writePNG(_ image: Image, to url: URL) throws {
        let data = try encodePNG(image, name: url.path)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ImageCodecError.encodingFailed(file: url.path, reason: describe(error))
        }
    }

    // MARK: Layout conversion

    /// [height, width, storedChannels] bytes -> channels-first floats, keeping the first
    /// `keptChannels` channels (dropping a trailing alpha).
    private static func planarImage(interleaved: [UInt8], width: Int, height: Int,
                                    storedChannels: Int, keptChannels: Int) -> Image {
        let plane = width * height
        var pixels = [Float](repeating: 0, count: keptChannels * plane)
        interleaved.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                for position in 0..<plane {
                    let base = position * storedChannels
                    for channel in 0..<keptChannels {
                        target[channel * plane + position] = Float(source[base + channel]) / 255
                    }
                }
            }
        }
        return Image(channels: keptChannels, height: height, width: width, pixels: pixels)
    }

    /// Channels-first floats -> [height, width, channels] bytes, clamped and rounded.
    private static func interleavedBytes(_ image: Image) -> [UInt8] {
        let plane = image.width * image.height
        var bytes = [UInt8](repeating: 0, count: plane * image.channels)
        for position in 0..<plane {
            for channel in 0..<image.channels {
                let value = image.pixels[channel * plane + position]
                let clamped = value.isNaN ? 0 : min(max(value, 0), 1)
                bytes[position * image.channels + channel] = UInt8((clamped * 255).rounded())
            }
        }
        return bytes
    }
}

/// A short human-readable reason for a Foundation error.
func describe(_ error: Error) -> String {
    if let codecError = error as? ImageCodecError { return codecError.description }
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
        return "\(nsError.localizedDescription) (\(underlying.localizedDescription))"
    }
    return nsError.localizedDescription
}
