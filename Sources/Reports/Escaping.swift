// Escaping for the four output languages. Every piece of caller text passes through one of these
// before it reaches a renderer's output, so labels like `FedAvg <5 clients> & "IID"` stay text.

import Foundation

/// Escapes text for XML and HTML content and attribute values (`& < > " '`).
///
/// The same escaping is right for both SVG (XML) and HTML5, in element content and in
/// double- or single-quoted attributes.
public func escapeMarkup(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
        default: escaped.append(character)
        }
    }
    return escaped
}

/// One CSV field quoted per RFC 4180, section 2: a field holding a comma, a double quote, CR
/// or LF is enclosed in double quotes, and each double quote inside is doubled.
public func quoteCSVField(_ field: String) -> String {
    let needsQuotes = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
    guard needsQuotes else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Text made safe for one cell of a GitHub-flavoured Markdown table.
///
/// A pipe would end the cell, so it becomes `\|`; a backslash is doubled so it cannot escape
/// the pipe after it; line breaks would end the row, so they become spaces.
func escapeMarkdownCell(_ text: String) -> String {
    var escaped = ""
    for character in text {
        switch character {
        case "|": escaped += "\\|"
        case "\\": escaped += "\\\\"
        case "\n", "\r", "\r\n": escaped += " "
        default: escaped.append(character)
        }
    }
    return escaped
}

/// Text with line breaks replaced by spaces, for single-line plain-text and Markdown lines.
func singleLine(_ text: String) -> String {
    String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
}
