# cxledger/ca: Hyperledger Fabric CA's server 1.5.15, one per organisation (built from the
# pinned module in network/fabricca with cgo for its SQLite store, linked fully statically).
# FROM scratch: nothing to pull, no shell. The organisation's CA home (configuration,
# database, TLS key pair) is mounted at FABRIC_CA_SERVER_HOME and its root CA key pair,
# read-only, at /etc/hyperledger/ca; it runs as the owner of the state directory, whose
# keys are readable by their owner only.
FROM scratch
LABEL org.opencontainers.image.title="cxledger ca" \
      org.opencontainers.image.version="1.5.15" \
      org.opencontainers.image.description="Hyperledger Fabric CA server 1.5.15"
ENV PATH=/usr/local/bin \
    FABRIC_CA_SERVER_HOME=/etc/hyperledger/fabric-ca-server
COPY fabric-ca-server cxl-healthcheck /usr/local/bin/
COPY --chown=10001:0 empty /tmp
USER 10001
CMD ["fabric-ca-server", "start"]
