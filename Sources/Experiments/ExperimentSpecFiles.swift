// Experiment specs as files: JSON (`.json`) or YAML (`.yaml`, `.yml`), chosen by the file's
// extension. Both forms go through the same `ExperimentSpec.init(from:)`, so unknown keys, type
// errors and duplicate keys are reported the same way; errors name the file and, for YAML
// syntax errors, the line and column.

import Foundation
import Reports
import Yams

/// The file forms of an experiment spec.
public enum SpecFileFormat: String, CaseIterable, Sendable {
    /// JSON (`.json`).
    case json
    /// YAML (`.yaml` or `.yml`).
    case yaml

    /// The file extensions (without the dot, lower case) that select this format.
    public var fileExtensions: [String] {
        switch self {
        case .json: return ["json"]
        case .yaml: return ["yaml", "yml"]
        }
    }

    /// Every extension a spec file may have, with the dot: ".json, .yaml, .yml".
    public static var validExtensionsText: String {
        allCases.flatMap(\.fileExtensions).map { "." + $0 }.joined(separator: ", ")
    }

    /// The format named by `file`'s extension (case-insensitive).
    ///
    /// - Throws: ``ExperimentError`` naming the file and the valid extensions.
    public init(of file: URL) throws {
        let fileExtension = file.pathExtension.lowercased()
        guard let format = Self.allCases.first(where: { $0.fileExtensions.contains(fileExtension) }) else {
            let found = fileExtension.isEmpty ? "has no extension" : "has the unknown extension '.\(file.pathExtension)'"
            throw ExperimentError("\(file.path): a spec file \(found); valid: \(Self.validExtensionsText)")
        }
        self = format
    }
}

extension ExperimentSpec {
    /// Reads a spec from a JSON (`.json`) or YAML (`.yaml`, `.yml`) file, picking the format by
    /// the extension.
    ///
    /// - Throws: ``ExperimentError`` naming the file: an unknown extension (listing the valid
    ///   ones), an unreadable file, a syntax error (for YAML with its line and column), or what
    ///   ``init(from:)`` rejects (unknown or duplicate keys, values of the wrong type).
    public static func load(from url: URL) throws -> ExperimentSpec {
        let format = try SpecFileFormat(of: url)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ExperimentError("cannot read spec \(url.path): \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ExperimentError("\(url.path): a spec file must be UTF-8 text")
        }
        do { return try parse(text, format: format) } catch let error as ExperimentError {
            throw ExperimentError("\(url.path): \(error.description)")
        }
    }

    /// Decodes a spec from JSON or YAML text.
    ///
    /// - Throws: ``ExperimentError`` describing the first problem (without a file name; see
    ///   ``load(from:)``).
    public static func parse(_ text: String, format: SpecFileFormat) throws -> ExperimentSpec {
        do {
            switch format {
            case .json: return try JSONDecoder().decode(ExperimentSpec.self, from: Data(text.utf8))
            case .yaml: return try YAMLDecoder().decode(ExperimentSpec.self, from: text)
            }
        } catch {
            throw explainDecodingFailure(error, format: format)
        }
    }

    /// The spec as pretty JSON with sorted keys and a final newline (as result files are written).
    ///
    /// - Throws: ``ExperimentError`` if a number cannot be written (not finite).
    public func jsonText() throws -> String {
        do { return try ResultFiles.jsonText(self) } catch {
            throw ExperimentError("cannot write the spec as JSON: \(error)")
        }
    }

    /// The spec as block-style YAML, one `key: value` line per key in the order of the key table
    /// in Docs/CLI.md (unset optional keys are left out), ending in a newline.
    ///
    /// Numbers are written with the fewest digits that read back to the same value (`0.001`,
    /// not `0.0010000000474974513`), and strings YAML would read as something else (`"true"`,
    /// `"1e-3"`) are quoted, so ``parse(_:format:)`` gives back an equal spec.
    ///
    /// - Throws: ``ExperimentError`` if a number cannot be written (not finite).
    public func yamlText() throws -> String {
        // JSON is YAML: encode with JSONEncoder (shortest round-tripping numbers, unlike Yams'
        // encoder, which writes 17 significant digits), read that back as a YAML node tree, and
        // emit it in block style with the keys in declaration order.
        let json: Data
        do { json = try JSONEncoder().encode(self) } catch {
            throw ExperimentError("cannot write the spec as YAML: \(error)")
        }
        do {
            guard case .mapping(let mapping)? = try Yams.compose(yaml: String(decoding: json, as: UTF8.self)) else {
                throw ExperimentError("cannot write the spec as YAML: the encoded spec is not a mapping")
            }
            let keyOrder = CodingKeys.allCases.map(\.stringValue)
            func position(_ key: Node) -> Int { keyOrder.firstIndex(of: key.string ?? "") ?? keyOrder.count }
            let pairs = mapping.sorted { position($0.key) < position($1.key) }
                .map { (Self.blockStyle($0.key), Self.blockStyle($0.value)) }
            let root = Node.mapping(Node.Mapping(pairs, mapping.tag, .block))
            return try Yams.serialize(node: root, allowUnicode: true)
        } catch let error as ExperimentError {
            throw error
        } catch {
            throw ExperimentError("cannot write the spec as YAML: \(error)")
        }
    }

    /// The spec in `format` (``jsonText()`` or ``yamlText()``).
    public func text(format: SpecFileFormat) throws -> String {
        switch format {
        case .json: return try jsonText()
        case .yaml: return try yamlText()
        }
    }

    /// Writes the spec to `url` as JSON or YAML, picked by the extension, atomically and
    /// creating parent directories; ``load(from:)`` reads it back to an equal spec.
    ///
    /// - Throws: ``ExperimentError`` naming the file (e.g. an unknown extension or a write failure).
    public func write(to url: URL) throws {
        let text = try self.text(format: SpecFileFormat(of: url))
        do { try ResultFiles.writeText(text, to: url) } catch {
            throw ExperimentError("\(error)")
        }
    }

    /// Rewrites JSON-shaped YAML nodes (flow mappings, double-quoted strings) in block style with
    /// plain strings where YAML reads them back as the same string.
    private static func blockStyle(_ node: Node) -> Node {
        switch node {
        case .mapping(let mapping):
            return .mapping(Node.Mapping(mapping.map { (blockStyle($0.key), blockStyle($0.value)) }, mapping.tag, .block))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map(blockStyle), sequence.tag, .block))
        case .scalar(let scalar) where scalar.style == .doubleQuoted:
            // A JSON string; `represented()` quotes it only if a plain scalar would read as
            // another type (a number, a boolean, null).
            return .scalar(scalar.string.represented())
        case .scalar:
            return node
        }
    }

    /// One message for a decoder failure: the spec's own errors unchanged, YAML syntax errors
    /// with their line and column, anything else with the decoder's words.
    private static func explainDecodingFailure(_ error: Error, format: SpecFileFormat) -> ExperimentError {
        let formatName = format.rawValue.uppercased()
        switch error {
        case let error as ExperimentError:
            return error
        case let error as YamlError:
            return ExperimentError("not valid YAML: \(describeYAMLSyntaxError(error))")
        case DecodingError.dataCorrupted(let context):
            // YAMLDecoder wraps everything that is not a DecodingError (the spec's own errors
            // included) as `dataCorrupted` with the original as the underlying error.
            if let inner = context.underlyingError as? ExperimentError { return inner }
            if let inner = context.underlyingError as? YamlError {
                return ExperimentError("not valid YAML: \(describeYAMLSyntaxError(inner))")
            }
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return ExperimentError("not valid \(formatName): \(context.debugDescription)\(underlying)")
        case DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty:
            let example = format == .json ? #"{"dataset": "fed-fgvc"}"# : "dataset: fed-fgvc"
            return ExperimentError("an experiment spec must be a mapping of keys to values, e.g. \(example)")
        default:
            return ExperimentError("not a valid \(formatName) experiment spec (\(error))")
        }
    }

    /// "line 3, column 7: could not find expected ':' (while scanning a simple key at line 2, column 1)".
    private static func describeYAMLSyntaxError(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(during)"
        default:
            // Reader errors (bad bytes) and the rest: Yams' own text, which names the position it knows.
            return "\(error)"
        }
    }
}
