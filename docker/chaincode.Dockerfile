# cxledger/chaincode: the cxledger chaincode served as an external service
# (shim.ChaincodeServer). Peers reach it at CHAINCODE_SERVER_ADDRESS; it identifies itself
# with CHAINCODE_ID, the package ID the peers installed. FROM scratch: one static binary.
FROM scratch
LABEL org.opencontainers.image.title="cxledger chaincode" \
      org.opencontainers.image.description="the cxledger chaincode, run as a service"
ENV PATH=/usr/local/bin
COPY cxl-chaincode cxl-healthcheck /usr/local/bin/
USER 10001
CMD ["cxl-chaincode"]
