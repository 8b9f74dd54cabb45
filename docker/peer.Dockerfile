# cxledger/fabric-peer: Hyperledger Fabric's peer 3.1.1 (static, CGO off, built from the
# pinned module in network/fabric) with cxledger's chaincode-as-a-service builder.
# FROM scratch: nothing to pull, no shell. `cxl network images` streams the build context
# (these binaries, core.yaml from Fabric's sampleconfig, an empty directory) to docker build.
FROM scratch
LABEL org.opencontainers.image.title="cxledger fabric-peer" \
      org.opencontainers.image.version="3.1.1" \
      org.opencontainers.image.description="Hyperledger Fabric peer 3.1.1 with the cxledger ccaas builder"
ENV PATH=/usr/local/bin \
    FABRIC_CFG_PATH=/etc/hyperledger/fabric
COPY peer cxl-healthcheck /usr/local/bin/
COPY core.yaml /etc/hyperledger/fabric/
# The external builder: the peer runs bin/detect, bin/build and bin/release, and the one
# binary picks its step from the name it runs as.
COPY ccaas-builder /builders/ccaas/bin/detect
COPY ccaas-builder /builders/ccaas/bin/build
COPY ccaas-builder /builders/ccaas/bin/release
# The ledger (a volume) and the scratch space the peer unpacks chaincode packages in belong
# to the node user.
COPY --chown=10001:0 empty /var/hyperledger/production
COPY --chown=10001:0 empty /tmp
USER 10001
CMD ["peer", "node", "start"]
