// Package outboundtest helps test the outbound guard: a resolver whose answers the test
// chooses, to point a public-looking name at a private address (DNS rebinding).
package outboundtest

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"strings"
)

// Resolver returns a resolver that answers from hosts (name → IPv4 or IPv6 address, the
// name without its final dot) and says "no such name" for every other name. It never
// touches the network.
func Resolver(hosts map[string]string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		client, server := net.Pipe()
		go serve(server, hosts)
		return client, nil
	}}
}

// serve answers the DNS queries of one connection (TCP framing: a length before each
// message, as the Go resolver sends on a connection that is not a packet one).
func serve(c net.Conn, hosts map[string]string) {
	defer c.Close()
	for {
		var n [2]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return
		}
		q := make([]byte, binary.BigEndian.Uint16(n[:]))
		if _, err := io.ReadFull(c, q); err != nil {
			return
		}
		a := answer(q, hosts)
		if a == nil {
			return
		}
		out := binary.BigEndian.AppendUint16(nil, uint16(len(a)))
		if _, err := c.Write(append(out, a...)); err != nil {
			return
		}
	}
}

// answer builds the response to query q: the question echoed and the one record of its
// type, if the name has an address of that type.
func answer(q []byte, hosts map[string]string) []byte {
	if len(q) < 12 {
		return nil
	}
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	i++ // the root label
	if i+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i:])
	question := q[12 : i+4]
	name := strings.ToLower(strings.Join(labels, "."))

	var rdata []byte
	rcode := uint16(3) // NXDOMAIN
	if v, ok := hosts[name]; ok {
		rcode = 0
		if ip, err := netip.ParseAddr(v); err == nil {
			switch {
			case ip.Is4() && qtype == 1: // A
				b := ip.As4()
				rdata = b[:]
			case ip.Is6() && !ip.Is4In6() && qtype == 28: // AAAA
				b := ip.As16()
				rdata = b[:]
			}
		}
	}
	out := append([]byte(nil), q[0:2]...) // id
	out = binary.BigEndian.AppendUint16(out, 0x8180|rcode)
	out = binary.BigEndian.AppendUint16(out, 1) // questions
	an := uint16(0)
	if rdata != nil {
		an = 1
	}
	out = binary.BigEndian.AppendUint16(out, an)
	out = binary.BigEndian.AppendUint16(out, 0)
	out = binary.BigEndian.AppendUint16(out, 0)
	out = append(out, question...)
	if rdata != nil {
		out = append(out, 0xc0, 12) // the name: a pointer to the question's
		out = binary.BigEndian.AppendUint16(out, qtype)
		out = binary.BigEndian.AppendUint16(out, 1)  // IN
		out = binary.BigEndian.AppendUint32(out, 60) // TTL
		out = binary.BigEndian.AppendUint16(out, uint16(len(rdata)))
		out = append(out, rdata...)
	}
	return out
}
