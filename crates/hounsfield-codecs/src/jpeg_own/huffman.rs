//! Huffman tables (ISO 10918-1 F.2.2.3) and the entropy-coded bit reader.

/// A Huffman table prepared for decoding (ISO 10918-1 F.2.2.3), with a 9-bit lookahead.
#[derive(Clone)]
pub(super) struct Huffman {
    /// For each 9-bit prefix: (code length, value), length 0 when longer than 9 bits.
    pub(super) fast: Vec<(u8, u8)>,
    pub(super) maxcode: [i32; 18],
    pub(super) valptr: [i32; 17],
    pub(super) mincode: [i32; 17],
    pub(super) values: Vec<u8>,
}

pub(super) const FAST_BITS: u32 = 9;

impl Huffman {
    pub(super) fn new(counts: &[u8; 16], values: &[u8]) -> Result<Huffman, String> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 || total > values.len() {
            return Err("invalid Huffman table".into());
        }
        let mut maxcode = [-1i32; 18];
        let mut valptr = [0i32; 17];
        let mut mincode = [0i32; 17];
        let mut fast = vec![(0u8, 0u8); 1 << FAST_BITS];
        let mut code = 0i32;
        let mut k = 0usize;
        for len in 1..=16usize {
            let n = usize::from(counts[len - 1]);
            valptr[len] = k as i32;
            mincode[len] = code;
            for _ in 0..n {
                if len as u32 <= FAST_BITS {
                    let shift = FAST_BITS - len as u32;
                    let base = (code as usize) << shift;
                    for j in 0..(1usize << shift) {
                        if let Some(e) = fast.get_mut(base + j) {
                            *e = (len as u8, values[k]);
                        }
                    }
                }
                code += 1;
                k += 1;
            }
            maxcode[len] = if n > 0 { code - 1 } else { -1 };
            if code > (1 << len) {
                return Err("over-subscribed Huffman table".into());
            }
            code <<= 1;
        }
        maxcode[17] = i32::MAX;
        Ok(Huffman {
            fast,
            maxcode,
            valptr,
            mincode,
            values: values[..total].to_vec(),
        })
    }
}

/// Reads entropy-coded bits, removing stuffed zero bytes and stopping at markers.
pub(super) struct Bits<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
    pub(super) acc: u64,
    pub(super) nbits: u32,
    /// A marker met inside the entropy-coded data (RSTn, EOI, ...).
    pub(super) marker: Option<u8>,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8], pos: usize) -> Self {
        Bits {
            data,
            pos,
            acc: 0,
            nbits: 0,
            marker: None,
        }
    }

    #[inline]
    pub(super) fn refill(&mut self) {
        while self.nbits <= 56 {
            let byte = if self.marker.is_some() || self.pos >= self.data.len() {
                0
            } else {
                let b = self.data[self.pos];
                if b == 0xFF {
                    let next = self.data.get(self.pos + 1).copied().unwrap_or(0xD9);
                    if next == 0x00 {
                        self.pos += 2;
                        0xFF
                    } else if next == 0xFF {
                        // Fill byte before a marker.
                        self.pos += 1;
                        continue;
                    } else {
                        self.marker = Some(next);
                        self.pos += 2;
                        0
                    }
                } else {
                    self.pos += 1;
                    b
                }
            };
            self.acc |= u64::from(byte) << (56 - self.nbits);
            self.nbits += 8;
        }
    }

    #[inline]
    pub(super) fn peek(&mut self, n: u32) -> u32 {
        if self.nbits < n {
            self.refill();
        }
        (self.acc >> (64 - n)) as u32
    }

    #[inline]
    pub(super) fn skip(&mut self, n: u32) {
        self.acc <<= n;
        self.nbits -= n;
    }

    #[inline]
    pub(super) fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        let v = self.peek(n);
        self.skip(n);
        v
    }

    #[inline]
    pub(super) fn decode(&mut self, h: &Huffman) -> Result<u8, String> {
        let p = self.peek(16);
        let (len, val) = h.fast[(p >> (16 - FAST_BITS)) as usize];
        if len > 0 {
            self.skip(u32::from(len));
            return Ok(val);
        }
        let mut len = FAST_BITS as usize + 1;
        while len <= 16 {
            let code = (p >> (16 - len)) as i32;
            if code <= h.maxcode[len] {
                self.skip(len as u32);
                let idx = h.valptr[len] + code - h.mincode[len];
                return h
                    .values
                    .get(idx as usize)
                    .copied()
                    .ok_or_else(|| "bad Huffman code".to_string());
            }
            len += 1;
        }
        Err("corrupt entropy-coded data (no Huffman code matches)".into())
    }

    /// A magnitude category's extra bits, sign-extended (ISO 10918-1 F.2.2.1, EXTEND).
    #[inline]
    pub(super) fn receive_extend(&mut self, s: u8) -> i32 {
        if s == 0 {
            return 0;
        }
        let s = u32::from(s.min(16));
        let v = self.bits(s) as i32;
        if v < (1 << (s - 1)) {
            v - (1 << s) + 1
        } else {
            v
        }
    }

    /// Consumes a RSTn marker at a restart boundary; returns the offset to resume at.
    pub(super) fn restart(&mut self) -> Result<usize, String> {
        // Discard buffered bits; find the marker if it was not reached yet.
        if self.marker.is_none() {
            let mut p = self.pos;
            while p + 1 < self.data.len()
                && !(self.data[p] == 0xFF && (0xD0..=0xD7).contains(&self.data[p + 1]))
            {
                p += 1;
            }
            if p + 1 >= self.data.len() {
                return Err("restart marker missing".into());
            }
            self.pos = p + 2;
        } else if !matches!(self.marker, Some(0xD0..=0xD7)) {
            return Err("restart marker missing".into());
        }
        self.marker = None;
        self.acc = 0;
        self.nbits = 0;
        Ok(self.pos)
    }
}
