//! A zip archive of one entry whose deflate stream, CRC-32 and sizes are known
//! ([`super::deflate`]): the zip crate writes entries only from their text, so the
//! few headers around a stream deflated on several threads are written here. The
//! zip crate then adds the files a KMZ carries ([`zip::ZipWriter::new_append`]).
//! Zip64 fields are written only when a size or offset does not fit 32 bits.

use std::io::{self, Read, Write};

use super::deflate::Body;

/// The fields of an entry's headers, in the order zip writes them.
struct Entry<'a> {
    name: &'a [u8],
    crc: u32,
    raw: u64,
    deflated: u64,
    zip64: bool,
}

/// Sizes from this on go in zip64 fields.
const LIMIT: u64 = 0xFFFF_FFFF;
/// DOS date 1980-01-01, time 00:00: what the zip crate writes without a clock.
const DOS_DATE: u16 = (1 << 5) | 1;
/// Deflate.
const DEFLATED: u16 = 8;

fn u16le(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn u32le(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn u64le(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// `v` as a 32-bit field: all ones when it is in the zip64 field instead.
fn field32(v: u64, zip64: bool) -> u32 {
    if zip64 {
        u32::MAX
    } else {
        u32::try_from(v).unwrap_or(u32::MAX)
    }
}

impl Entry<'_> {
    fn version(&self) -> u16 {
        if self.zip64 {
            45
        } else {
            20
        }
    }

    /// The fields both headers share, from the version needed to the extra length.
    fn common(&self, b: &mut Vec<u8>) -> io::Result<()> {
        u16le(b, self.version());
        u16le(b, 0); // flags: sizes known, name ASCII or as given
        u16le(b, DEFLATED);
        u16le(b, 0);
        u16le(b, DOS_DATE);
        u32le(b, self.crc);
        u32le(b, field32(self.deflated, self.zip64));
        u32le(b, field32(self.raw, self.zip64));
        let name = u16::try_from(self.name.len())
            .map_err(|_| io::Error::other("zip entry name too long"))?;
        u16le(b, name);
        u16le(b, if self.zip64 { 20 } else { 0 });
        Ok(())
    }

    /// The zip64 extra field: the text's size, then the stream's.
    fn extra(&self, b: &mut Vec<u8>) {
        if self.zip64 {
            u16le(b, 1);
            u16le(b, 16);
            u64le(b, self.raw);
            u64le(b, self.deflated);
        }
    }
}

/// Writes into `out` an archive of the one entry `name`, `body`'s deflate stream read
/// from where its file is. `force_zip64` writes zip64 fields even where 32 bits hold
/// the values (tests).
pub(crate) fn write_one<W: Write + ?Sized, R: Read>(
    out: &mut W,
    name: &str,
    body: &mut Body<R>,
    force_zip64: bool,
) -> io::Result<()> {
    let Body {
        file: stream,
        crc,
        raw,
        deflated,
    } = body;
    let (crc, raw, deflated) = (*crc, *raw, *deflated);
    let mut e = Entry {
        name: name.as_bytes(),
        crc,
        raw,
        deflated,
        zip64: force_zip64,
    };
    let local_len = 30 + e.name.len() as u64 + 20;
    // The central directory's offset must fit too; its local header is at most this.
    e.zip64 |= raw >= LIMIT || deflated >= LIMIT || local_len + deflated >= LIMIT;
    let mut b = Vec::with_capacity(128);
    u32le(&mut b, 0x0403_4b50);
    e.common(&mut b)?;
    b.extend_from_slice(e.name);
    e.extra(&mut b);
    out.write_all(&b)?;
    let local = b.len() as u64;
    let copied = io::copy(&mut stream.take(deflated), out)?;
    if copied != deflated {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the KMZ's deflated KML is shorter than written",
        ));
    }
    let cd_offset = local + deflated;
    b.clear();
    u32le(&mut b, 0x0201_4b50);
    u16le(&mut b, (3 << 8) | e.version()); // made by: Unix
    e.common(&mut b)?;
    u16le(&mut b, 0); // comment
    u16le(&mut b, 0); // disk
    u16le(&mut b, 0); // internal attributes
    u32le(&mut b, 0o100_644 << 16); // a regular file, rw-r--r--
    u32le(&mut b, 0); // the local header's offset
    b.extend_from_slice(e.name);
    e.extra(&mut b);
    let cd_size = b.len() as u64;
    if e.zip64 {
        let end64 = cd_offset + cd_size;
        u32le(&mut b, 0x0606_4b50);
        u64le(&mut b, 44);
        u16le(&mut b, (3 << 8) | 45);
        u16le(&mut b, 45);
        u32le(&mut b, 0);
        u32le(&mut b, 0);
        u64le(&mut b, 1);
        u64le(&mut b, 1);
        u64le(&mut b, cd_size);
        u64le(&mut b, cd_offset);
        u32le(&mut b, 0x0706_4b50);
        u32le(&mut b, 0);
        u64le(&mut b, end64);
        u32le(&mut b, 1);
    }
    u32le(&mut b, 0x0605_4b50);
    u16le(&mut b, 0);
    u16le(&mut b, 0);
    u16le(&mut b, 1);
    u16le(&mut b, 1);
    u32le(&mut b, field32(cd_size, false));
    u32le(&mut b, field32(cd_offset, e.zip64));
    u16le(&mut b, 0);
    out.write_all(&b)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Seek};

    /// An archive of `text` written here reads back through the zip crate, with or
    /// without zip64 fields, and takes a file appended by it.
    #[test]
    fn the_one_entry_reads_back_and_takes_more() -> io::Result<()> {
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        let (stream, crc) = super::super::deflate::whole(&[&text[..5000], &text[5000..]], 3)?;
        for zip64 in [false, true] {
            let mut out = Cursor::new(Vec::new());
            let mut body = Body {
                file: &stream[..],
                crc,
                raw: text.len() as u64,
                deflated: stream.len() as u64,
            };
            write_one(&mut out, "doc.kml", &mut body, zip64)?;
            out.rewind()?;
            let mut zip = zip::ZipWriter::new_append(out).map_err(io::Error::other)?;
            zip.start_file("files/a.png", zip::write::SimpleFileOptions::default())
                .map_err(io::Error::other)?;
            zip.write_all(b"a")?;
            let out = zip.finish().map_err(io::Error::other)?;
            let mut zip = zip::ZipArchive::new(out).map_err(io::Error::other)?;
            assert_eq!(zip.len(), 2);
            let mut kml = Vec::new();
            zip.by_name("doc.kml")
                .map_err(io::Error::other)?
                .read_to_end(&mut kml)?;
            assert!(kml == text, "zip64: {zip64}");
            let mut a = Vec::new();
            zip.by_index(1)
                .map_err(io::Error::other)?
                .read_to_end(&mut a)?;
            assert_eq!(a, b"a");
        }
        // A stream shorter than said is an error.
        let mut short = Body {
            file: &stream[..10],
            crc,
            raw: 1,
            deflated: 20,
        };
        let err = write_one(&mut Vec::new(), "doc.kml", &mut short, false);
        assert!(err.is_err());
        Ok(())
    }
}
