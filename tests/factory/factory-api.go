// factory-api.go: the Foundries.io factory API and its device gateway, played
// with Go's standard library only, for tests/integration/go-factory.sh.
//
// The factory API and fioctl are written in Go; this program reads what airca
// writes the way they do. The JSON types are those of fioctl's
// client/foundries_pki.go (CaCerts, ChangeMeta of client/foundries.go), the
// rules those fioctl's subcommands/keys/ca_*.go and x509/ rely on:
//
//	patch STATE UPLOAD     apply upload.json (the PATCH body) to STATE (the
//	                       GET's JSON, created on the first-time setup)
//	verify-device STATE [--register] PEM...
//	                       each PEM (leaf, then its chain) verified for
//	                       ExtKeyUsageClientAuth against ca-crt (the
//	                       gateway's pool) and against root-crt; --register
//	                       also refuses device CAs the API has disabled
//	gateway STATE TLSKEY PORTFILE N
//	                       a crypto/tls server on 127.0.0.1 with tls-crt,
//	                       requiring client certificates from ca-crt; serves
//	                       N connections, one line on stdout for each
//	crl ISSUER CRL         x509.ParseRevocationList, CheckSignatureFrom;
//	                       prints "SERIAL(decimal) REASON" per entry
//
// No network but loopback; exits non-zero with the reason on any refusal.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// fioctl client/foundries.go
type ChangeMeta struct {
	CreatedBy string `json:"created-by"`
	CreatedAt string `json:"created-at"`
	UpdatedBy string `json:"updated-by"`
	UpdatedAt string `json:"updated-at"`
}

// fioctl client/foundries_pki.go
type CaCerts struct {
	RootCrt string `json:"root-crt,omitempty"`
	CaCrt   string `json:"ca-crt,omitempty"`
	EstCrt  string `json:"est-tls-crt,omitempty"`
	TlsCrt  string `json:"tls-crt,omitempty"`

	CaRevokeCrl string   `json:"ca-revoke-crl,omitempty"`
	CaDisabled  []string `json:"disabled-ca-serials,omitempty"` // readonly

	ChangeMeta ChangeMeta `json:"change-meta"`
}

var oidBusinessCategory = asn1.ObjectIdentifier{2, 5, 4, 15}
var oidCRLReason = asn1.ObjectIdentifier{2, 5, 29, 21}

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "factory-api: "+format+"\n", a...)
	os.Exit(1)
}

// fioctl x509/common.go parseOnePemBlock: exactly one block, nothing after it.
func onePem(what, s string) *x509.Certificate {
	b, rest := pem.Decode([]byte(s))
	if b == nil || len(bytes.TrimSpace(rest)) > 0 || b.Type != "CERTIFICATE" {
		die("%s: not exactly one PEM certificate", what)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		die("%s: %v", what, err)
	}
	return c
}

// fioctl subcommands/keys/ca_show.go parseCertList, but strict: every block a certificate.
func certList(what, s string) []*x509.Certificate {
	var out []*x509.Certificate
	rest := []byte(s)
	for len(bytes.TrimSpace(rest)) > 0 {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil || b.Type != "CERTIFICATE" {
			die("%s: malformed PEM after %d certificates", what, len(out))
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			die("%s: certificate %d: %v", what, len(out)+1, err)
		}
		out = append(out, c)
	}
	return out
}

func pemFile(path string) []*x509.Certificate {
	data, err := os.ReadFile(path)
	if err != nil {
		die("%v", err)
	}
	return certList(path, string(data))
}

func loadState(path string) CaCerts {
	var st CaCerts
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st
	}
	if err != nil {
		die("%v", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		die("%s: %v", path, err)
	}
	return st
}

func rootPool(st CaCerts) (*x509.Certificate, *x509.CertPool) {
	if st.RootCrt == "" {
		die("Factory PKI is not configured (no root-crt): fioctl keys ca create first")
	}
	root := onePem("root-crt", st.RootCrt)
	p := x509.NewCertPool()
	p.AddCert(root)
	return root, p
}

func attr(n pkix.Name, oid asn1.ObjectIdentifier) string {
	for _, a := range n.Names {
		if a.Type.Equal(oid) {
			if s, ok := a.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

func describe(c *x509.Certificate) string {
	ou := strings.Join(c.Subject.OrganizationalUnit, ",")
	return fmt.Sprintf("CN=%s OU=%s businessCategory=%s serial=%s",
		c.Subject.CommonName, ou, attr(c.Subject, oidBusinessCategory),
		c.SerialNumber.Text(10))
}

// A TLS server certificate as the API takes tls-crt / est-tls-crt.
func checkServer(what string, c *x509.Certificate, roots *x509.CertPool, oneName bool) {
	if len(c.DNSNames) == 0 {
		die("%s: no DNS name", what)
	}
	if oneName && len(c.DNSNames) != 1 { // client/foundries_pki.go FactoryEstUrl
		die("%s: expected 1 DNS name, %d found", what, len(c.DNSNames))
	}
	if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 || c.IsCA {
		die("%s: not a TLS leaf (digitalSignature, CA:FALSE)", what)
	}
	for _, dns := range c.DNSNames {
		_, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: dns,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			die("%s: %s: %v", what, dns, err)
		}
	}
}

func crlReason(ext []pkix.Extension) int {
	for _, e := range ext {
		if e.Id.Equal(oidCRLReason) {
			var v asn1.Enumerated
			if _, err := asn1.Unmarshal(e.Value, &v); err == nil {
				return int(v)
			}
		}
	}
	return 0
}

func parseCRL(what string, issuer *x509.Certificate, text []byte) *x509.RevocationList {
	b, rest := pem.Decode(text)
	if b == nil || b.Type != "X509 CRL" || len(bytes.TrimSpace(rest)) > 0 {
		die("%s: not one PEM X509 CRL", what)
	}
	rl, err := x509.ParseRevocationList(b.Bytes)
	if err != nil {
		die("%s: %v", what, err)
	}
	if err := rl.CheckSignatureFrom(issuer); err != nil {
		die("%s: signature: %v", what, err)
	}
	if !bytes.Equal(rl.RawIssuer, issuer.RawSubject) {
		die("%s: issuer is not %s", what, issuer.Subject)
	}
	if rl.NextUpdate.Before(rl.ThisUpdate) || rl.Number == nil {
		die("%s: bad nextUpdate or no CRL number", what)
	}
	return rl
}

// The PATCH: each field as fioctl's commands send it (docs/api.md).
func patch(statePath, uploadPath string) {
	st := loadState(statePath)
	data, err := os.ReadFile(uploadPath)
	if err != nil {
		die("%v", err)
	}
	var up CaCerts
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&up); err != nil {
		die("%s: %v", uploadPath, err)
	}
	if len(up.CaDisabled) > 0 || up.ChangeMeta != (ChangeMeta{}) {
		die("%s: disabled-ca-serials and change-meta are read-only", uploadPath)
	}
	var fields []string
	if up.RootCrt != "" {
		root := onePem("root-crt", up.RootCrt)
		if err := root.CheckSignatureFrom(root); err != nil || !root.IsCA ||
			root.KeyUsage&x509.KeyUsageCertSign == 0 ||
			!bytes.Equal(root.RawIssuer, root.RawSubject) {
			die("root-crt: not a self-signed CA certificate (%v)", err)
		}
		if st.RootCrt != "" && onePem("state root", st.RootCrt).Equal(root) == false {
			die("root-crt: the factory has another root already")
		}
		st.RootCrt = up.RootCrt
		fields = append(fields, "root-crt")
	}
	root, roots := rootPool(st)
	if up.TlsCrt != "" {
		checkServer("tls-crt", onePem("tls-crt", up.TlsCrt), roots, false)
		st.TlsCrt = up.TlsCrt
		fields = append(fields, "tls-crt")
	}
	if up.EstCrt != "" {
		checkServer("est-tls-crt", onePem("est-tls-crt", up.EstCrt), roots, true)
		st.EstCrt = up.EstCrt
		fields = append(fields, "est-tls-crt")
	}
	if up.CaCrt != "" {
		seen := map[string]bool{}
		for i, c := range certList("ca-crt", up.CaCrt) {
			what := fmt.Sprintf("ca-crt %d (serial %s)", i+1, c.SerialNumber.Text(10))
			if !c.IsCA || !c.BasicConstraintsValid || c.KeyUsage&x509.KeyUsageCertSign == 0 {
				die("%s: not a CA certificate", what)
			}
			if _, err := c.Verify(x509.VerifyOptions{Roots: roots,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				die("%s: %v", what, err)
			}
			if seen[string(c.Raw)] {
				die("%s: listed twice", what)
			}
			seen[string(c.Raw)] = true
		}
		st.CaCrt = up.CaCrt
		fields = append(fields, "ca-crt")
	}
	if up.CaRevokeCrl != "" {
		rl := parseCRL("ca-revoke-crl", root, []byte(up.CaRevokeCrl))
		active := map[string]*x509.Certificate{}
		for _, c := range certList("ca-crt", st.CaCrt) {
			active[c.SerialNumber.Text(10)] = c
		}
		disabled := map[string]bool{}
		for _, s := range st.CaDisabled {
			disabled[s] = true
		}
		revoked := map[string]bool{}
		for _, e := range rl.RevokedCertificates {
			s := e.SerialNumber.Text(10)
			if active[s] == nil { // subcommands/keys/ca_revoke_device_ca.go
				die("ca-revoke-crl: there is no active device CA with serial %s", s)
			}
			switch crlReason(e.Extensions) {
			case 6: // x509/common.go CrlCaDisable
				disabled[s] = true
			case 8: // CrlCaRenew
				delete(disabled, s)
			default: // "the API will revoke the CA for any reason other than 6 or 8"
				revoked[s] = true
				delete(disabled, s)
			}
		}
		var kept bytes.Buffer
		for _, c := range certList("ca-crt", st.CaCrt) {
			if !revoked[c.SerialNumber.Text(10)] {
				pem.Encode(&kept, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
			}
		}
		st.CaCrt = kept.String()
		st.CaDisabled = nil
		for s := range disabled {
			st.CaDisabled = append(st.CaDisabled, s)
		}
		sort.Strings(st.CaDisabled)
		fields = append(fields, "ca-revoke-crl")
	}
	if len(fields) == 0 {
		die("%s: an empty PATCH", uploadPath)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	if st.ChangeMeta.CreatedAt == "" {
		st.ChangeMeta.CreatedAt, st.ChangeMeta.CreatedBy = now, "airca-test"
	} else {
		st.ChangeMeta.UpdatedAt, st.ChangeMeta.UpdatedBy = now, "airca-test"
	}
	st.CaRevokeCrl = ""
	out, _ := json.MarshalIndent(st, "", "  ")
	if err := os.WriteFile(statePath, append(out, '\n'), 0o644); err != nil {
		die("%v", err)
	}
	fmt.Printf("patched %s (%d device CAs, disabled [%s])\n", strings.Join(fields, " "),
		len(certList("ca-crt", st.CaCrt)), strings.Join(st.CaDisabled, " "))
}

func caPool(st CaCerts) (*x509.CertPool, []*x509.Certificate) {
	cas := certList("ca-crt", st.CaCrt)
	p := x509.NewCertPool()
	for _, c := range cas {
		p.AddCert(c)
	}
	return p, cas
}

func verifyDevice(statePath string, register bool, files []string) {
	st := loadState(statePath)
	_, roots := rootPool(st)
	pool, cas := caPool(st)
	disabled := map[string]bool{}
	for _, s := range st.CaDisabled {
		disabled[s] = true
	}
	bad := 0
	for _, f := range files {
		chain := pemFile(f)
		if len(chain) == 0 {
			die("%s: no certificate", f)
		}
		leaf := chain[0]
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		for _, c := range cas {
			inter.AddCert(c)
		}
		cu := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		_, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: cu})
		var viaRoot [][]*x509.Certificate
		if err == nil {
			viaRoot, err = leaf.Verify(x509.VerifyOptions{Roots: roots,
				Intermediates: inter, KeyUsages: cu})
		}
		if err == nil && register {
			for _, ch := range viaRoot {
				if s := ch[1].SerialNumber.Text(10); disabled[s] {
					err = fmt.Errorf("device CA %s is disabled: no new registrations", s)
				}
			}
		}
		if err != nil {
			fmt.Printf("refused %s: %v\n", f, err)
			bad++
			continue
		}
		fmt.Printf("ok %s %s issuer=%s\n", f, describe(leaf), viaRoot[0][1].SerialNumber.Text(10))
	}
	if bad > 0 {
		os.Exit(3)
	}
}

func gateway(statePath, keyPath, portFile string, n int) {
	st := loadState(statePath)
	pool, _ := caPool(st)
	cert, err := tls.X509KeyPair([]byte(st.TlsCrt), mustRead(keyPath))
	if err != nil {
		die("tls-crt with %s: %v", keyPath, err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		die("%v", err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if err := os.WriteFile(portFile+".tmp", []byte(port+"\n"), 0o644); err != nil {
		die("%v", err)
	}
	os.Rename(portFile+".tmp", portFile)
	deadline := time.Now().Add(60 * time.Second)
	ln.(*net.TCPListener).SetDeadline(deadline)
	for i := 0; i < n; i++ {
		raw, err := ln.Accept()
		if err != nil {
			die("accept: %v", err)
		}
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		c := tls.Server(raw, cfg)
		if err := c.Handshake(); err != nil {
			fmt.Printf("refused: %v\n", err)
			c.Close()
			continue
		}
		leaf := c.ConnectionState().PeerCertificates[0]
		fmt.Printf("accepted %s\n", describe(leaf))
		fmt.Fprintf(c, "welcome %s\n", leaf.Subject.CommonName)
		c.Close()
	}
}

func mustRead(p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		die("%v", err)
	}
	return b
}

func crl(issuerPath, crlPath string) {
	iss := pemFile(issuerPath)
	if len(iss) == 0 {
		die("%s: no certificate", issuerPath)
	}
	rl := parseCRL(crlPath, iss[0], mustRead(crlPath))
	fmt.Printf("crl number=%s entries=%d\n", rl.Number.Text(10), len(rl.RevokedCertificates))
	for _, e := range rl.RevokedCertificates {
		fmt.Printf("%s %d\n", e.SerialNumber.Text(10), crlReason(e.Extensions))
	}
}

func main() {
	a := os.Args[1:]
	switch {
	case len(a) == 3 && a[0] == "patch":
		patch(a[1], a[2])
	case len(a) >= 3 && a[0] == "verify-device":
		if a[2] == "--register" {
			verifyDevice(a[1], true, a[3:])
		} else {
			verifyDevice(a[1], false, a[2:])
		}
	case len(a) == 5 && a[0] == "gateway":
		n, err := strconv.Atoi(a[4])
		if err != nil {
			die("N: %v", err)
		}
		gateway(a[1], a[2], a[3], n)
	case len(a) == 3 && a[0] == "crl":
		crl(a[1], a[2])
	default:
		die("usage: patch STATE UPLOAD | verify-device STATE [--register] PEM... | " +
			"gateway STATE TLSKEY PORTFILE N | crl ISSUER CRL")
	}
}
