// Command cxl-healthcheck is the health probe of cxledger's FROM-scratch images, which have
// no shell or curl: Docker runs it inside a container as the service's health check.
//
//	cxl-healthcheck http://127.0.0.1:7102/healthz   # healthy when the URL answers 200
//	cxl-healthcheck tcp://127.0.0.1:7900            # healthy when the port accepts a connection
//	cxl-healthcheck https://localhost:8080/readyz ca.pem  # verified with the CA certificate in ca.pem
//
// It exits 0 when the target is healthy and 1, with the reason on stderr, when it is not.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"
)

// timeout bounds one probe; Docker's own health check timeout is longer.
const timeout = 2 * time.Second

func main() {
	if len(os.Args) != 2 && len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cxl-healthcheck http://HOST:PORT/PATH | https://HOST:PORT/PATH [CA-FILE] | tcp://HOST:PORT")
		os.Exit(2)
	}
	if err := probe(os.Args[1], os.Args[2:]...); err != nil {
		fmt.Fprintln(os.Stderr, "cxl-healthcheck:", err)
		os.Exit(1)
	}
}

// probe checks one target; an https target is verified with the CA certificates of the PEM
// file ca when one is given, else with the system's.
func probe(target string, ca ...string) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("parse %q: %w", target, err)
	}
	switch u.Scheme {
	case "http", "https":
		client := &http.Client{Timeout: timeout}
		if len(ca) > 0 {
			pem, err := os.ReadFile(ca[0])
			if err != nil {
				return fmt.Errorf("read CA certificate: %w", err)
			}
			roots := x509.NewCertPool()
			if !roots.AppendCertsFromPEM(pem) {
				return fmt.Errorf("%s holds no PEM certificate", ca[0])
			}
			client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
		}
		resp, err := client.Get(target)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %s", target, resp.Status)
		}
		return nil
	case "tcp":
		if u.Host == "" {
			return errors.New("tcp target needs host:port")
		}
		c, err := net.DialTimeout("tcp", u.Host, timeout)
		if err != nil {
			return err
		}
		return c.Close()
	default:
		return fmt.Errorf("unsupported target %q: want http://, https:// or tcp://", target)
	}
}
