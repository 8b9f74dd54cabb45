# cxledger/fabric-orderer: Hyperledger Fabric's orderer 3.1.1 (static, CGO off, built from
# the pinned module in network/fabric). FROM scratch: nothing to pull, no shell.
# `cxl network images` streams the build context (these binaries, orderer.yaml from
# Fabric's sampleconfig, an empty directory) to docker build.
FROM scratch
LABEL org.opencontainers.image.title="cxledger fabric-orderer" \
      org.opencontainers.image.version="3.1.1" \
      org.opencontainers.image.description="Hyperledger Fabric orderer 3.1.1"
ENV PATH=/usr/local/bin \
    FABRIC_CFG_PATH=/etc/hyperledger/fabric
COPY orderer cxl-healthcheck /usr/local/bin/
COPY orderer.yaml /etc/hyperledger/fabric/
# The block store and Raft WAL and snapshots (a volume) belong to the node user.
COPY --chown=10001:0 empty /var/hyperledger/production
COPY --chown=10001:0 empty /tmp
USER 10001
CMD ["orderer"]
