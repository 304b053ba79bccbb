//! Item types: the first byte of a menu line (RFC 1436 §3.8, plus the common extensions `g`,
//! `I`, `T`, `h`, `i`, `s`, `d`), and what WinINet makes of them (`GOPHER_TYPE_*`).
//!
//! A byte that names no type we know is kept as [`ItemType::Unknown`], never dropped.

use std::fmt;

/// WinINet's `GOPHER_TYPE_*` flags, as `GopherGetLocatorType` and `GOPHER_FIND_DATA` report
/// them. One item has one type flag, plus [`flags::GOPHER_PLUS`] and [`flags::ASK`] from its
/// locator's Gopher+ marker.
pub mod flags {
    /// `0`: a text file.
    pub const TEXT_FILE: u32 = 0x0000_0001;
    /// `1`: a directory (menu).
    pub const DIRECTORY: u32 = 0x0000_0002;
    /// `2`: a CSO phone-book server.
    pub const CSO: u32 = 0x0000_0004;
    /// `3`: an error.
    pub const ERROR: u32 = 0x0000_0008;
    /// `4`: a Macintosh BinHex file.
    pub const MAC_BINHEX: u32 = 0x0000_0010;
    /// `5`: a DOS archive.
    pub const DOS_ARCHIVE: u32 = 0x0000_0020;
    /// `6`: a UNIX uuencoded file.
    pub const UNIX_UUENCODED: u32 = 0x0000_0040;
    /// `7`: an index-search server.
    pub const INDEX_SERVER: u32 = 0x0000_0080;
    /// `8`: a telnet session.
    pub const TELNET: u32 = 0x0000_0100;
    /// `9`: a binary file.
    pub const BINARY: u32 = 0x0000_0200;
    /// `+`: a redundant (backup) server.
    pub const REDUNDANT: u32 = 0x0000_0400;
    /// `T`: a tn3270 session.
    pub const TN3270: u32 = 0x0000_0800;
    /// `g`: a GIF image.
    pub const GIF: u32 = 0x0000_1000;
    /// `I`: an image.
    pub const IMAGE: u32 = 0x0000_2000;
    /// A bitmap (no RFC 1436 byte; kept for completeness).
    pub const BITMAP: u32 = 0x0000_4000;
    /// A movie (no RFC 1436 byte; kept for completeness).
    pub const MOVIE: u32 = 0x0000_8000;
    /// `s`: a sound.
    pub const SOUND: u32 = 0x0001_0000;
    /// `h`: an HTML document.
    pub const HTML: u32 = 0x0002_0000;
    /// `d`: a document (PDF and the like).
    pub const PDF: u32 = 0x0004_0000;
    /// A calendar (no RFC 1436 byte; kept for completeness).
    pub const CALENDAR: u32 = 0x0008_0000;
    /// An inline item (no RFC 1436 byte; kept for completeness).
    pub const INLINE: u32 = 0x0010_0000;
    /// A type WinINet does not know (also `i` info lines, which postdate WinINet).
    pub const UNKNOWN: u32 = 0x2000_0000;
    /// A Gopher+ item that asks the user questions (`?` marker).
    pub const ASK: u32 = 0x4000_0000;
    /// A Gopher+ item (`+` or `?` marker).
    pub const GOPHER_PLUS: u32 = 0x8000_0000;
    /// Every type a file handle can read (WinINet's `GOPHER_TYPE_FILE_MASK`).
    pub const FILE_MASK: u32 = TEXT_FILE
        | MAC_BINHEX
        | DOS_ARCHIVE
        | UNIX_UUENCODED
        | BINARY
        | GIF
        | IMAGE
        | BITMAP
        | MOVIE
        | SOUND
        | HTML
        | PDF
        | CALENDAR
        | INLINE;
}

/// The type of a Gopher item: the first byte of its menu line.
///
/// [`ItemType::from_byte`] and [`ItemType::as_byte`] are inverses: every byte maps to exactly one
/// type, named or [`Unknown`](ItemType::Unknown), and back.
///
/// ```
/// use inet_gopher::proto::ItemType;
///
/// assert_eq!(ItemType::from_byte(b'1'), ItemType::Directory);
/// assert!(ItemType::Directory.is_directory());
/// assert!(ItemType::from_byte(b'9').is_file());
/// assert_eq!(ItemType::from_byte(b'X'), ItemType::Unknown(b'X'));
/// assert_eq!(ItemType::from_byte(b'X').as_byte(), b'X');
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemType {
    /// `0`: a text file.
    TextFile,
    /// `1`: a directory (menu).
    Directory,
    /// `2`: a CSO phone-book server.
    CsoPhoneBook,
    /// `3`: an error.
    Error,
    /// `4`: a BinHexed Macintosh file.
    MacBinHex,
    /// `5`: a DOS binary archive.
    DosArchive,
    /// `6`: a UNIX uuencoded file.
    Uuencoded,
    /// `7`: an index-search server (a menu that takes a query).
    IndexServer,
    /// `8`: a telnet session.
    Telnet,
    /// `9`: a binary file.
    Binary,
    /// `+`: a redundant server (another server for the item before it).
    Redundant,
    /// `T`: a tn3270 session.
    Tn3270,
    /// `g`: a GIF image.
    Gif,
    /// `I`: an image.
    Image,
    /// `h`: an HTML document (often a `URL:` link).
    Html,
    /// `i`: an informational line: display text only, nothing to fetch.
    Info,
    /// `s`: a sound.
    Sound,
    /// `d`: a document (PDF, Word, …).
    Document,
    /// Any other byte, kept as sent. Holds only bytes the named variants do not cover (built by
    /// [`ItemType::from_byte`]).
    Unknown(u8),
}

impl ItemType {
    /// The type a menu line's first byte names.
    pub fn from_byte(byte: u8) -> ItemType {
        match byte {
            b'0' => ItemType::TextFile,
            b'1' => ItemType::Directory,
            b'2' => ItemType::CsoPhoneBook,
            b'3' => ItemType::Error,
            b'4' => ItemType::MacBinHex,
            b'5' => ItemType::DosArchive,
            b'6' => ItemType::Uuencoded,
            b'7' => ItemType::IndexServer,
            b'8' => ItemType::Telnet,
            b'9' => ItemType::Binary,
            b'+' => ItemType::Redundant,
            b'T' => ItemType::Tn3270,
            b'g' => ItemType::Gif,
            b'I' => ItemType::Image,
            b'h' => ItemType::Html,
            b'i' => ItemType::Info,
            b's' => ItemType::Sound,
            b'd' => ItemType::Document,
            other => ItemType::Unknown(other),
        }
    }

    /// The byte that starts this type's menu lines.
    pub fn as_byte(self) -> u8 {
        match self {
            ItemType::TextFile => b'0',
            ItemType::Directory => b'1',
            ItemType::CsoPhoneBook => b'2',
            ItemType::Error => b'3',
            ItemType::MacBinHex => b'4',
            ItemType::DosArchive => b'5',
            ItemType::Uuencoded => b'6',
            ItemType::IndexServer => b'7',
            ItemType::Telnet => b'8',
            ItemType::Binary => b'9',
            ItemType::Redundant => b'+',
            ItemType::Tn3270 => b'T',
            ItemType::Gif => b'g',
            ItemType::Image => b'I',
            ItemType::Html => b'h',
            ItemType::Info => b'i',
            ItemType::Sound => b's',
            ItemType::Document => b'd',
            ItemType::Unknown(byte) => byte,
        }
    }

    /// A short English name ("text file", "directory", …; "unknown" for the rest).
    pub fn name(self) -> &'static str {
        match self {
            ItemType::TextFile => "text file",
            ItemType::Directory => "directory",
            ItemType::CsoPhoneBook => "CSO phone book",
            ItemType::Error => "error",
            ItemType::MacBinHex => "BinHex file",
            ItemType::DosArchive => "DOS archive",
            ItemType::Uuencoded => "uuencoded file",
            ItemType::IndexServer => "search",
            ItemType::Telnet => "telnet session",
            ItemType::Binary => "binary file",
            ItemType::Redundant => "redundant server",
            ItemType::Tn3270 => "tn3270 session",
            ItemType::Gif => "GIF image",
            ItemType::Image => "image",
            ItemType::Html => "HTML document",
            ItemType::Info => "information",
            ItemType::Sound => "sound",
            ItemType::Document => "document",
            ItemType::Unknown(_) => "unknown",
        }
    }

    /// WinINet's `GOPHER_TYPE_*` flag for this type (without the Gopher+ flags, which come
    /// from a locator: [`Locator::wininet_type`](super::Locator::wininet_type)).
    pub fn wininet_flag(self) -> u32 {
        match self {
            ItemType::TextFile => flags::TEXT_FILE,
            ItemType::Directory => flags::DIRECTORY,
            ItemType::CsoPhoneBook => flags::CSO,
            ItemType::Error => flags::ERROR,
            ItemType::MacBinHex => flags::MAC_BINHEX,
            ItemType::DosArchive => flags::DOS_ARCHIVE,
            ItemType::Uuencoded => flags::UNIX_UUENCODED,
            ItemType::IndexServer => flags::INDEX_SERVER,
            ItemType::Telnet => flags::TELNET,
            ItemType::Binary => flags::BINARY,
            ItemType::Redundant => flags::REDUNDANT,
            ItemType::Tn3270 => flags::TN3270,
            ItemType::Gif => flags::GIF,
            ItemType::Image => flags::IMAGE,
            ItemType::Html => flags::HTML,
            ItemType::Sound => flags::SOUND,
            ItemType::Document => flags::PDF,
            ItemType::Info | ItemType::Unknown(_) => flags::UNKNOWN,
        }
    }

    /// Whether a file handle can read this item (WinINet's `IS_GOPHER_FILE`).
    pub fn is_file(self) -> bool {
        self.wininet_flag() & flags::FILE_MASK != 0
    }

    /// Whether this item is a menu (WinINet's `IS_GOPHER_DIRECTORY`). A search
    /// ([`is_index_server`](Self::is_index_server)) answers with a menu too.
    pub fn is_directory(self) -> bool {
        self == ItemType::Directory
    }

    /// Whether this item is a search that takes a query (WinINet's `IS_GOPHER_INDEX_SERVER`).
    pub fn is_index_server(self) -> bool {
        self == ItemType::IndexServer
    }

    /// Whether this item is a telnet or tn3270 session (WinINet's `IS_GOPHER_TELNET_SESSION`):
    /// nothing a Gopher client fetches.
    pub fn is_telnet_session(self) -> bool {
        matches!(self, ItemType::Telnet | ItemType::Tn3270)
    }

    /// Whether this item is a CSO phone-book server (WinINet's `IS_GOPHER_PHONE_SERVER`).
    pub fn is_phone_server(self) -> bool {
        self == ItemType::CsoPhoneBook
    }

    /// Whether this item is a redundant server (WinINet's `IS_GOPHER_BACKUP_SERVER`).
    pub fn is_backup_server(self) -> bool {
        self == ItemType::Redundant
    }

    /// Whether this line reports an error (WinINet's `IS_GOPHER_ERROR`).
    pub fn is_error(self) -> bool {
        self == ItemType::Error
    }

    /// Whether this is an `i` line: text to show, nothing to fetch.
    pub fn is_info(self) -> bool {
        self == ItemType::Info
    }

    /// Whether this type is one of the named ones (WinINet's `IS_GOPHER_TYPE_KNOWN`; `i` counts
    /// as known here although WinINet predates it).
    pub fn is_known(self) -> bool {
        !matches!(self, ItemType::Unknown(_))
    }

    /// Whether RFC 1436 sends the item's data as text ended by a `.` line (types 0, 1, 2, 3,
    /// 4, 6 and 7), as opposed to data read until the server closes (types 5, 9, `g`, `I`, `h`,
    /// `s`, `d`, and unknown types). Many servers send text files as they are, without the `.`
    /// line and without dot-stuffing: see [`TextFraming`](super::TextFraming).
    pub fn is_dot_terminated(self) -> bool {
        matches!(
            self,
            ItemType::TextFile
                | ItemType::Directory
                | ItemType::CsoPhoneBook
                | ItemType::Error
                | ItemType::MacBinHex
                | ItemType::Uuencoded
                | ItemType::IndexServer
        )
    }
}

impl fmt::Display for ItemType {
    /// The name and the byte: `directory (1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({})",
            self.name(),
            char::from(self.as_byte()).escape_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for byte in 0..=u8::MAX {
            assert_eq!(ItemType::from_byte(byte).as_byte(), byte);
        }
    }

    #[test]
    fn the_rfc_and_common_types_are_named() {
        let named: Vec<u8> = (0..=u8::MAX)
            .filter(|&b| ItemType::from_byte(b).is_known())
            .collect();
        assert_eq!(named, b"+0123456789ITdghis");
    }

    #[test]
    fn files_are_what_wininet_calls_files() {
        for byte in *b"04569gIhsd" {
            assert!(ItemType::from_byte(byte).is_file(), "{}", byte as char);
        }
        for byte in *b"12378+Ti?" {
            assert!(!ItemType::from_byte(byte).is_file(), "{}", byte as char);
        }
    }

    #[test]
    fn wininet_flags_carry_wininets_numbers() {
        assert_eq!(ItemType::TextFile.wininet_flag(), 0x1);
        assert_eq!(ItemType::Directory.wininet_flag(), 0x2);
        assert_eq!(ItemType::IndexServer.wininet_flag(), 0x80);
        assert_eq!(ItemType::Binary.wininet_flag(), 0x200);
        assert_eq!(ItemType::Html.wininet_flag(), 0x2_0000);
        assert_eq!(ItemType::Unknown(b'X').wininet_flag(), 0x2000_0000);
        assert_eq!(flags::FILE_MASK, 0x001F_F271);
    }

    #[test]
    fn helpers_match_their_types() {
        assert!(ItemType::Directory.is_directory());
        assert!(!ItemType::IndexServer.is_directory());
        assert!(ItemType::IndexServer.is_index_server());
        assert!(ItemType::Tn3270.is_telnet_session());
        assert!(ItemType::Telnet.is_telnet_session());
        assert!(ItemType::CsoPhoneBook.is_phone_server());
        assert!(ItemType::Redundant.is_backup_server());
        assert!(ItemType::Error.is_error());
        assert!(ItemType::Info.is_info());
        assert!(!ItemType::Unknown(b'X').is_known());
    }

    #[test]
    fn text_items_are_dot_terminated_and_binary_ones_are_not() {
        assert!(ItemType::TextFile.is_dot_terminated());
        assert!(ItemType::Directory.is_dot_terminated());
        assert!(!ItemType::Binary.is_dot_terminated());
        assert!(!ItemType::Gif.is_dot_terminated());
        assert!(!ItemType::Unknown(b'X').is_dot_terminated());
    }

    #[test]
    fn display_shows_the_name_and_the_byte() {
        assert_eq!(ItemType::Directory.to_string(), "directory (1)");
        assert_eq!(ItemType::Unknown(0).to_string(), "unknown (\\u{0})");
    }
}
