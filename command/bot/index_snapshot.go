package bot

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The key index's snapshot is one binary object: a magic line, the stream
// position it covers, the chatbots (tenant and id), then the sorted 64-bit
// prefixes and the number of each one's chatbot. 1,000,000 keys over
// 100,000 chatbots take about 20 MB.
const snapshotMagic = "chatbot key index v1\n"

// indexView is the index as of one position; its arrays are never changed
// afterwards (a merge makes new ones), so it is written unlocked.
type indexView struct {
	position uint64
	owners   []owner
	prefixes []uint64
	numbered []uint32
}

// view merges the recent keys and returns what the index holds now.
func (x *keyIndex) view() indexView {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.merge()
	return indexView{position: x.position, owners: x.owners[:len(x.owners):len(x.owners)], prefixes: x.prefixes, numbered: x.numbered}
}

func (v indexView) encode(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf [binary.MaxVarintLen64]byte
	uv := func(n uint64) { bw.Write(buf[:binary.PutUvarint(buf[:], n)]) }
	str := func(s string) { uv(uint64(len(s))); bw.WriteString(s) }
	bw.WriteString(snapshotMagic)
	uv(v.position)
	uv(uint64(len(v.owners)))
	for _, o := range v.owners {
		str(o.tenant)
		str(o.id)
	}
	uv(uint64(len(v.prefixes)))
	for _, p := range v.prefixes {
		bw.Write(binary.BigEndian.AppendUint64(buf[:0], p))
	}
	for _, n := range v.numbered {
		uv(uint64(n))
	}
	return bw.Flush()
}

// decodeIndex reads a snapshot into a new index.
func decodeIndex(r io.Reader) (*keyIndex, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, errors.New("not a key index snapshot")
	}
	x := newKeyIndex()
	var err error
	uv := func() uint64 {
		var n uint64
		if err == nil {
			n, err = binary.ReadUvarint(br)
		}
		return n
	}
	str := func() string {
		n := uv()
		if err != nil || n > 1024 {
			err = errors.Join(err, errors.New("bad string length"))
			return ""
		}
		b := make([]byte, n)
		_, err = io.ReadFull(br, b)
		return string(b)
	}
	x.position = uv()
	owners := uv()
	for i := uint64(0); i < owners && err == nil; i++ {
		x.number(owner{tenant: str(), id: str()})
	}
	keys := uv()
	if err == nil && keys > 1<<32 {
		err = errors.New("bad key count")
	}
	x.prefixes, x.numbered = make([]uint64, 0, keys), make([]uint32, 0, keys)
	var b [8]byte
	for i := uint64(0); i < keys && err == nil; i++ {
		_, err = io.ReadFull(br, b[:])
		x.prefixes = append(x.prefixes, binary.BigEndian.Uint64(b[:]))
	}
	for i := uint64(0); i < keys && err == nil; i++ {
		n := uv()
		if n >= uint64(len(x.owners)) {
			err = errors.Join(err, errors.New("bad chatbot number"))
		}
		x.numbered = append(x.numbered, uint32(n))
	}
	if err != nil {
		return nil, fmt.Errorf("key index snapshot: %w", err)
	}
	return x, nil
}
