//! ClickHouse's RowBinary format, both ways: every insert is sent as RowBinary and every read
//! comes back as RowBinary, so binary payloads travel as they are and nothing is escaped.
//!
//! Only the types this schema uses: UInt8/32/64, Float64, String (also LowCardinality),
//! FixedString(N), Nullable(T) (a flag byte, 1 = NULL) and Array(T) (a LEB128 count).

use rootspan_store::{StoreError, StoreResult};

/// Builds a RowBinary body, one value after another in column order.
#[derive(Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    fn leb128(&mut self, mut value: u64) {
        loop {
            let byte = (value & 0x7f) as u8;
            value >>= 7;
            if value == 0 {
                self.buf.push(byte);
                return;
            }
            self.buf.push(byte | 0x80);
        }
    }

    pub fn u8(&mut self, value: u8) {
        self.buf.push(value);
    }

    pub fn u32(&mut self, value: u32) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    pub fn u64(&mut self, value: u64) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    pub fn f64(&mut self, value: f64) {
        self.buf.extend_from_slice(&value.to_le_bytes());
    }

    pub fn bytes(&mut self, value: &[u8]) {
        self.leb128(value.len() as u64);
        self.buf.extend_from_slice(value);
    }

    pub fn str(&mut self, value: &str) {
        self.bytes(value.as_bytes());
    }

    pub fn fixed(&mut self, value: &[u8]) {
        self.buf.extend_from_slice(value);
    }

    /// A Nullable(T): the flag, then the value when present.
    pub fn nullable<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Writer, T)) {
        match value {
            None => self.u8(1),
            Some(value) => {
                self.u8(0);
                write(self, value);
            }
        }
    }

    pub fn str_array<'a>(&mut self, items: impl ExactSizeIterator<Item = &'a String>) {
        self.leb128(items.len() as u64);
        for item in items {
            self.str(item);
        }
    }
}

/// Reads a RowBinary answer. Every read checks the remaining length, so a short or corrupt
/// answer is an error, never a panic.
pub struct Reader<'a> {
    data: &'a [u8],
}

fn short() -> StoreError {
    StoreError::corrupt("a ClickHouse answer ended in the middle of a row")
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn take(&mut self, n: usize) -> StoreResult<&'a [u8]> {
        let (head, rest) = self.data.split_at_checked(n).ok_or_else(short)?;
        self.data = rest;
        Ok(head)
    }

    fn leb128(&mut self) -> StoreResult<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(StoreError::corrupt("a length in a ClickHouse answer is too long"))
    }

    pub fn u8(&mut self) -> StoreResult<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u32(&mut self) -> StoreResult<u32> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes(bytes.try_into().map_err(|_| short())?))
    }

    pub fn u64(&mut self) -> StoreResult<u64> {
        let bytes = self.take(8)?;
        Ok(u64::from_le_bytes(bytes.try_into().map_err(|_| short())?))
    }

    pub fn f64(&mut self) -> StoreResult<f64> {
        let bytes = self.take(8)?;
        Ok(f64::from_le_bytes(bytes.try_into().map_err(|_| short())?))
    }

    pub fn bytes(&mut self) -> StoreResult<&'a [u8]> {
        let len = self.leb128()?;
        let len = usize::try_from(len).map_err(|_| short())?;
        self.take(len)
    }

    pub fn string(&mut self) -> StoreResult<String> {
        let bytes = self.bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| StoreError::corrupt("a stored text is not UTF-8"))
    }

    pub fn fixed<const N: usize>(&mut self) -> StoreResult<[u8; N]> {
        let bytes = self.take(N)?;
        bytes.try_into().map_err(|_| short())
    }

    pub fn nullable<T>(&mut self, read: impl FnOnce(&mut Reader<'a>) -> StoreResult<T>) -> StoreResult<Option<T>> {
        if self.u8()? == 1 { Ok(None) } else { read(self).map(Some) }
    }

    pub fn string_array(&mut self) -> StoreResult<Vec<String>> {
        let len = self.leb128()?;
        let len = usize::try_from(len).map_err(|_| short())?;
        if len > self.data.len() {
            return Err(short());
        }
        (0..len).map(|_| self.string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let mut writer = Writer::default();
        writer.u8(7);
        writer.u64(u64::MAX - 1);
        writer.f64(0.25);
        writer.str(&"é".repeat(100));
        writer.fixed(&[9; 8]);
        writer.nullable(None::<u64>, Writer::u64);
        writer.nullable(Some("x"), Writer::str);
        writer.str_array(["a".to_owned(), "b".to_owned()].iter());
        let mut reader = Reader::new(&writer.buf);
        assert_eq!(reader.u8().unwrap(), 7);
        assert_eq!(reader.u64().unwrap(), u64::MAX - 1);
        assert_eq!(reader.f64().unwrap(), 0.25);
        assert_eq!(reader.string().unwrap(), "é".repeat(100));
        assert_eq!(reader.fixed::<8>().unwrap(), [9; 8]);
        assert_eq!(reader.nullable(Reader::u64).unwrap(), None);
        assert_eq!(reader.nullable(Reader::string).unwrap().as_deref(), Some("x"));
        assert_eq!(reader.string_array().unwrap(), ["a", "b"]);
        assert!(reader.is_empty());
    }

    #[test]
    fn truncated_answers_are_errors() {
        let mut writer = Writer::default();
        writer.str("hello");
        for cut in 0..writer.buf.len() {
            assert!(Reader::new(&writer.buf[..cut]).string().is_err());
        }
        assert!(Reader::new(&[0xff; 20]).bytes().is_err(), "an endless length");
        assert!(Reader::new(&[0xff, 0xff, 0xff, 0x0f]).string_array().is_err(), "a count past the data");
    }
}
