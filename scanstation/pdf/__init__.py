"""PDF/A assembly of one component: lossless images, XMP metadata, regulated file names."""
