// Package adif reads ADIF (Amateur Data Interchange Format) ADI files as real
// services and loggers write them, turns their records into domain QSOs, and
// writes QSOs back as ADI files.
//
// It provides:
//   - the ADIF 3.1.6 reference tables the project needs (DXCC entities, US
//     states for WAS, bands, modes and submodes), as Go literals checked
//     against the specification's CSV exports in testdata/;
//   - a streaming ADI Reader that skips any text outside tags (a '<' that
//     does not open a well-formed tag is text: loggers write e-mail
//     addresses in angle brackets into their headers), tolerates LoTW's
//     quirks (a free-text preamble, " // comments" between fields, the
//     length-less <APP_LoTW_EOF> marker, an empty report without <eoh>) and
//     UTF-8 values whose lengths count characters rather than bytes, and
//     refuses input without any tag, a value cut off by the end of the input
//     and a LoTW report without its final marker;
//   - ToQSO and Records, which normalise records (band, mode, time, callsigns)
//     and read LoTW and DCL confirmations;
//   - a Writer of ADIF 3.1.6 ADI files and QSOFields, the table of the QSO
//     fields an export writes; values are written as ASCII (see ASCII).
//
// It does not read or write ADX (XML), validate every ADIF field, or talk
// to LoTW or DCL: the lotw and dcl packages do that and use this one to parse.
package adif
