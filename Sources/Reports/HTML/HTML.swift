/// HTML escaping for text and attribute values: everything that came from
/// the kernel, the host or the user goes through here before it is written.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case _ where scalar.value < 0x20 && scalar != "\n" && scalar != "\t":
                out += "&#xFFFD;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A table with escaped cells; `numeric` columns are right-aligned.
    static func table(id: String, header: [String], rows: [[String]], numeric: Set<Int> = []) -> String {
        var out = ""
        table(id: id, header: header, rows: rows, numeric: numeric) { out += $0 }
        return out
    }

    /// The same table written to `sink` in pieces of about 64 KiB, rows made
    /// one at a time: a table of a thousand flows is never held whole.
    static func table(
        id: String, header: [String], rows: some Sequence<[String]>, numeric: Set<Int> = [],
        to sink: (String) -> Void
    ) {
        var out = "<table id=\"\(escape(id))\">\n<thead><tr>"
        for (index, cell) in header.enumerated() {
            out += "<th\(numeric.contains(index) ? " class=\"num\"" : "")>\(escape(cell))</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr>"
            for (index, cell) in row.enumerated() {
                out += "<td\(numeric.contains(index) ? " class=\"num\"" : "")>\(escape(cell))</td>"
            }
            out += "</tr>\n"
            if out.utf8.count >= 64 * 1024 {
                sink(out)
                out = ""
            }
        }
        sink(out + "</tbody>\n</table>\n")
    }
}
