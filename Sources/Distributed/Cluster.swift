// placeholder, replaced below
public protocol Cluster {}
