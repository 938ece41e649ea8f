"""The outbound exchange (对外数据交换): provincial online-monitoring uploads."""
