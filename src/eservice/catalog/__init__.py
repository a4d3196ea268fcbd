"""The service catalogue: services as versioned data, checked, published and served."""
