// A well-formedness check for SVG output, built on Foundation's XMLParser (libxml2 on Linux,
// shipped in FoundationXML). It records the elements it meets so tests can count paths and rects.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The outcome of parsing one XML document.
struct XMLCheck {
    /// True if the parser accepted the whole document without error.
    var isWellFormed: Bool
    /// The parser's error, if any.
    var errorDescription: String?
    /// Element names in document order.
    var elementNames: [String]
    /// Attributes of each element, in document order.
    var attributes: [[String: String]]
    /// All character data, concatenated with entities decoded.
    var text: String

    /// How many elements have this name.
    func count(of name: String) -> Int { elementNames.filter { $0 == name }.count }

    /// Attributes of the elements with this name.
    func attributes(of name: String) -> [[String: String]] {
        zip(elementNames, attributes).filter { $0.0 == name }.map(\.1)
    }

    /// Parses `document`.
    init(_ document: String) {
        let parser = XMLParser(data: Data(document.utf8))
        let recorder = Recorder()
        parser.delegate = recorder
        let accepted = parser.parse()
        // libxml2 can report a mismatched end tag through parserError while parse() returns true.
        isWellFormed = accepted && parser.parserError == nil && recorder.depth == 0 && !recorder.names.isEmpty
        errorDescription = parser.parserError.map { "\($0)" }
        elementNames = recorder.names
        attributes = recorder.attributes
        text = recorder.text
    }

    private final class Recorder: NSObject, XMLParserDelegate {
        var names: [String] = []
        var attributes: [[String: String]] = []
        var text = ""
        var depth = 0

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes attributeDict: [String: String]) {
            names.append(elementName)
            attributes.append(attributeDict)
            depth += 1
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?) {
            depth -= 1
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }
    }
}
