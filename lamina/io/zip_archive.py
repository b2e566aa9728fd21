"""The zip container of PyTorch checkpoints: an uncompressed archive whose records start on
64-byte boundaries, so that a reader can map tensor data straight from the file.

ZipWriter lays records out as PyTorch's writer (miniz) does: a local header whose extra field
'FB' pads the data to the alignment, the data, a data descriptor with the CRC and sizes, and at
the end the central directory, a zip64 end record, its locator and the classic end record.
Records or offsets past 4 GiB get zip64 extra fields. ZipReader parses the directory with
Python's zipfile and adds what a checkpoint reader needs: each record's data offset (to read it
into an array, or to memory-map it) and checks that turn any inconsistency into CheckpointError."""
import struct
import zipfile
import zlib

import numpy as np

from .errors import CheckpointError

ALIGNMENT = 64
ZIP64_LIMIT = 0xFFFFFFFF  # sizes and offsets from here on need zip64 fields
_MAX32 = 0xFFFFFFFF      # the value standing for "see the zip64 field"
CHUNK = 1 << 24  # bytes per write, so a huge record never needs a second copy in memory

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_DESCRIPTOR32 = struct.Struct("<4sIII")
_DESCRIPTOR64 = struct.Struct("<4sIQQ")
_FLAG_UTF8, _FLAG_DESCRIPTOR = 0x0800, 0x0008


class ZipWriter:
    """Writes records to a binary file object `fh` (needs only write); call close() at the end."""

    def __init__(self, fh, alignment=ALIGNMENT):
        self.fh = fh
        self.alignment = alignment
        self.pos = 0
        self.entries = []  # (name, crc, size, header offset, flags)

    def _write(self, data):
        self.fh.write(data)
        self.pos += len(data)

    def write_record(self, name, data):
        """Add one stored record; `data` is bytes or a 1-D uint8 ndarray (written without copying)."""
        name_b = name.encode("utf-8")
        view = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
        size = view.nbytes
        offset = self.pos
        zip64 = size >= ZIP64_LIMIT or offset >= ZIP64_LIMIT
        zip64_extra = b""
        if zip64:
            fields = struct.pack("<QQ", size, size) + (struct.pack("<Q", offset) if offset >= ZIP64_LIMIT else b"")
            zip64_extra = struct.pack("<HH", 1, len(fields)) + fields
        start = offset + _LOCAL.size + len(name_b) + len(zip64_extra) + 4
        pad = -start % self.alignment
        extra = zip64_extra + struct.pack("<2sH", b"FB", pad) + b"Z" * pad
        flags = _FLAG_UTF8 | (_FLAG_DESCRIPTOR if size else 0)
        local_size = _MAX32 if zip64 else 0
        self._write(_LOCAL.pack(b"PK\x03\x04", 45 if zip64 else 0, flags, 0, 0, 0, 0, local_size, local_size,
                                len(name_b), len(extra)) + name_b + extra)
        crc = 0
        for i in range(0, size, CHUNK):
            piece = view[i:i + CHUNK]
            crc = zlib.crc32(piece, crc)
            self._write(piece)
        if size:
            if zip64:
                self._write(_DESCRIPTOR64.pack(b"PK\x07\x08", crc, size, size))
            else:
                self._write(_DESCRIPTOR32.pack(b"PK\x07\x08", crc, size, size))
        self.entries.append((name_b, crc, size, offset, flags))

    def close(self):
        cd_start = self.pos
        for name_b, crc, size, offset, flags in self.entries:
            extra = b""
            if size >= ZIP64_LIMIT:
                extra += struct.pack("<QQ", size, size)
            if offset >= ZIP64_LIMIT:
                extra += struct.pack("<Q", offset)
            if extra:
                extra = struct.pack("<HH", 1, len(extra)) + extra
            small = _MAX32 if size >= ZIP64_LIMIT else size
            where = _MAX32 if offset >= ZIP64_LIMIT else offset
            self._write(_CENTRAL.pack(b"PK\x01\x02", 0, 45 if extra else 0, flags, 0, 0, 0, crc, small, small,
                                      len(name_b), len(extra), 0, 0, 0, 0, where) + name_b + extra)
        cd_size = self.pos - cd_start
        count = len(self.entries)
        eocd64 = self.pos
        self._write(struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 0x031E, 45, 0, 0, count, count,
                                cd_size, cd_start))
        self._write(struct.pack("<4sIQI", b"PK\x06\x07", 0, eocd64, 1))
        big = cd_start >= ZIP64_LIMIT or cd_size >= ZIP64_LIMIT or count >= 0xFFFF
        self._write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 0xFFFF if big else count,
                                0xFFFF if big else count, _MAX32 if big else cd_size,
                                _MAX32 if big else cd_start, 0))


def is_zip(head):
    return head[:4] == b"PK\x03\x04"


class ZipReader:
    """The records of a checkpoint archive in a seekable binary file object."""

    def __init__(self, fh):
        self.fh = fh
        fh.seek(0, 2)
        self.file_size = fh.tell()
        try:
            self.zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error,
                NotImplementedError) as e:
            raise CheckpointError(f"not a valid checkpoint archive (the zip directory cannot be read: {e}); "
                                  "the file may be truncated or corrupt") from None
        self.infos = {}
        for info in self.zf.infolist():
            if info.filename in self.infos:
                raise CheckpointError(f"the archive holds the record {info.filename!r} twice")
            self.infos[info.filename] = info
        if not self.infos:
            raise CheckpointError("the checkpoint archive is empty")
        first = next(iter(self.infos))
        self.prefix = first.split("/", 1)[0] + "/" if "/" in first else ""

    def names(self):
        return list(self.infos)

    def has(self, name):
        return name in self.infos

    def size(self, name):
        return self._info(name).file_size

    def _info(self, name):
        info = self.infos.get(name)
        if info is None:
            raise CheckpointError(f"the checkpoint archive has no record {name!r}; the file is incomplete")
        if info.flag_bits & 0x1:
            raise CheckpointError(f"record {name!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CheckpointError(f"record {name!r} uses an unsupported zip compression method")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise CheckpointError(f"record {name!r} has inconsistent sizes in the zip directory")
        if info.compress_size > self.file_size or info.file_size > 1100 * max(info.compress_size, 1):
            # deflate cannot do better than about 1032:1, so a larger claim is corruption
            raise CheckpointError(f"record {name!r} claims an impossible size; the file is corrupt")
        return info

    def data_offset(self, name):
        """Where the bytes of a stored record start in the file (checked against the local header)."""
        info = self._info(name)
        self.fh.seek(info.header_offset)
        header = self.fh.read(_LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise CheckpointError(f"record {name!r} has a damaged local header")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        local_name = self.fh.read(name_len)
        if local_name != info.orig_filename.encode("utf-8") and local_name != info.orig_filename.encode("cp437"):
            raise CheckpointError(f"record {name!r} has a local header naming {local_name!r}")
        start = info.header_offset + _LOCAL.size + name_len + extra_len
        if start + info.compress_size > self.file_size:
            raise CheckpointError(f"record {name!r} runs past the end of the file; the file is truncated")
        return start

    def read(self, name):
        """A small record's bytes, CRC-checked."""
        self._info(name)
        try:
            return self.zf.read(name)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error, struct.error, NotImplementedError) as e:
            raise CheckpointError(f"record {name!r} cannot be read: {e}") from None

    def read_array(self, name):
        """A record's bytes as a new writable uint8 array, CRC-checked."""
        info = self._info(name)
        n = info.file_size
        if info.compress_type != zipfile.ZIP_STORED:
            return np.frombuffer(bytearray(self.read(name)), dtype=np.uint8)
        start = self.data_offset(name)
        out = np.empty(n, dtype=np.uint8)
        self.fh.seek(start)
        view = memoryview(out)
        readinto = getattr(self.fh, "readinto", None)
        got = 0
        while got < n:
            if readinto is not None:
                k = readinto(view[got:got + CHUNK])
            else:
                piece = self.fh.read(min(CHUNK, n - got))
                k = len(piece)
                view[got:got + k] = piece
            if not k:
                raise CheckpointError(f"record {name!r} is truncated")
            got += k
        if zlib.crc32(out) != info.CRC:
            raise CheckpointError(f"record {name!r} is corrupt (CRC mismatch)")
        return out

    def map_array(self, name, mapped):
        """A stored record as a slice of `mapped` (a uint8 memmap of the whole file)."""
        info = self._info(name)
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(f"mmap=True needs uncompressed records, but {name!r} is compressed")
        start = self.data_offset(name)
        return mapped[start:start + info.file_size]
