// ReportError: what a caller can get wrong when building tables, plots and result files.

/// An error raised while building a report or writing a result file.
///
/// Every message names the table, row, column, series or file at fault, so a bad input can be
/// found without a debugger.
public struct ReportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A human-readable explanation naming the offending item.
    public let message: String

    /// Creates an error with the given explanation.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
